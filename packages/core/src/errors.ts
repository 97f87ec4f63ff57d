/**
 * Domain errors. Storage and domain code throw these; the server maps `code` to an HTTP status in
 * one place, the CLI prints `message` as one line. `details` must be safe to show to a client.
 */
export class StewardError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  /** HTTP status the server answers with. */
  readonly status: number;
  constructor(code: string, message: string, status: number, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export class InvalidInputError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>, code = 'invalid_input') {
    super(code, message, 400, details);
  }
}

export class UnauthorizedError extends StewardError {
  constructor(message = 'missing or invalid token: pass STEWARD_TOKEN or --token', details?: Record<string, unknown>) {
    super('unauthorized', message, 401, details);
  }
}

export class ForbiddenError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('forbidden', message, 403, details);
  }
}

export class NotFoundError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>, code = 'not_found') {
    super(code, message, 404, details);
  }
}

export class ConflictError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>, code = 'conflict') {
    super(code, message, 409, details);
  }
}

export class PayloadTooLargeError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('payload_too_large', message, 413, details);
  }
}

export class GateFailedError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('gate_failed', message, 422, details);
  }
}

export class DigestMismatchError extends StewardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('digest_mismatch', message, 422, details);
  }
}

export function isStewardError(err: unknown): err is StewardError {
  return err instanceof StewardError;
}

/** One issue of a failed schema parse, as zod reports it (kept structural: core and server use different zod entry points). */
interface SchemaIssue {
  path: PropertyKey[];
  message: string;
  code: string;
}

/** A failed schema parse → one actionable message (the first issue's path and message) plus every issue in details. */
export function validationError(error: { issues: readonly SchemaIssue[] }, target: string): InvalidInputError {
  const issues = error.issues.map((i) => ({ path: [target, ...i.path.map(String)].join('.'), message: i.message, code: i.code }));
  const first = issues[0];
  const message = first ? `${first.path}: ${first.message}` : `invalid ${target}`;
  return new InvalidInputError(message, { issues }, 'validation_failed');
}
