import { describe, expect, it } from 'vitest';
import type { RoutingTable } from '../channels/channels.types.ts';
import { type SharedAnswer, channelAnswers, createAnswerCache } from './heartbeat-answer.ts';

const table = (stable: string) => ({ stable }) as RoutingTable;
const answerAt = (block: number, etag = 'e') => ({ currentBlock: block, etag }) as SharedAnswer;

describe('channelAnswers', () => {
  const inForce = table('1.0.0'); // desiredFor hands out the history's own object
  const want = [{ model: 'm', channel: 'c', history: [{ table: inForce, usableFromBlock: 0 }, { table: table('1.1.0'), usableFromBlock: 9 }], inForce, pending: { id: 't', table: table('2.0.0'), proposedAtBlock: 4 } }];

  it('lists what a node lacks of the tables in force, scheduled and pending, and whether it lags', () => {
    const [c] = channelAnswers(want, [{ model: 'm', version: '1.1.0', digest: 'a' }], [], 5);
    expect(c).toMatchObject({ lagging: true, missing: ['1.0.0', '2.0.0'] });
  });

  it('treats an install as flagged by value, not by object identity (flags come from an earlier heartbeat)', () => {
    const installed = [{ model: 'm', version: '1.0.0', digest: 'a' }, { model: 'm', version: '1.1.0', digest: 'bad' }];
    const [c] = channelAnswers(want, installed, [{ model: 'm', version: '1.1.0', digest: 'bad' }], 5);
    expect(c).toMatchObject({ lagging: false, missing: ['1.1.0', '2.0.0'] });
  });
});

describe('createAnswerCache', () => {
  it('builds one answer per report and block, shared by the heartbeats that wait for it', async () => {
    const cache = createAnswerCache();
    let builds = 0;
    const build = async () => (builds++, answerAt(7));
    const [a, b] = await Promise.all([cache.share('r', 7, build), cache.share('r', 7, build)]);
    expect(builds).toBe(1);
    expect(b).toBe(a);
    await cache.share('other', 7, build);
    await cache.share('r', 8, async () => (builds++, answerAt(8)));
    expect(builds).toBe(3);
  });

  it('never serves an answer built before an invalidation to a later heartbeat', async () => {
    const cache = createAnswerCache();
    let release!: () => void;
    const stale = cache.share('r', 7, () => new Promise((res) => (release = () => res(answerAt(7, 'old')))));
    cache.invalidate();
    const fresh = cache.share('r', 7, async () => answerAt(7, 'new'));
    release();
    expect((await stale).etag).toBe('old');
    expect((await fresh).etag).toBe('new');
    expect((await cache.share('r', 7, async () => answerAt(7, 'third'))).etag).toBe('new');
  });

  it('does not cache for a block older than the one it holds, nor keep a failed build', async () => {
    const cache = createAnswerCache();
    await cache.share('r', 8, async () => answerAt(8, 'b8'));
    expect((await cache.share('r', 7, async () => answerAt(7, 'b7'))).etag).toBe('b7');
    expect((await cache.share('r', 8, async () => answerAt(8, 'again'))).etag).toBe('b8');
    await expect(cache.share('x', 8, async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    await new Promise((r) => setTimeout(r, 0));
    expect((await cache.share('x', 8, async () => answerAt(8, 'ok'))).etag).toBe('ok');
  });
});
