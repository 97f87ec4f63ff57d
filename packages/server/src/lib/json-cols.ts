/** JSON columns are text on both dialects. */
export const toJson = (v: unknown): string => JSON.stringify(v ?? null);
export function fromJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  return JSON.parse(text) as T;
}
