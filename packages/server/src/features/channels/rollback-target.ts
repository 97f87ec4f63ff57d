import type { ChannelEvent } from './channels.types.ts';

/**
 * The channel's stable versions as an undo stack, replayed from its history: a `set` pushes its
 * version; a `rollback` truncates the stack back to its target when the target is on it (an undo)
 * and pushes it otherwise. So rolling back twice walks two steps back instead of toggling between
 * the last two versions.
 */
export function stableStack(events: ChannelEvent[]): string[] {
  const stack: string[] = [];
  for (const e of events) {
    const v = e.to.stable;
    if (e.kind === 'rollback') {
      const i = stack.lastIndexOf(v, stack.length - 2);
      if (i >= 0) {
        stack.length = i + 1;
        continue;
      }
    }
    if (stack[stack.length - 1] !== v) stack.push(v);
  }
  return stack;
}

/** Where a plain rollback goes: the stable before the current one, or undefined if there is none. */
export function previousStable(events: ChannelEvent[]): string | undefined {
  const s = stableStack(events);
  return s.length >= 2 ? s[s.length - 2] : undefined;
}
