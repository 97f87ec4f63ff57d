import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendPieces, type BodyPiece } from './send-pieces.ts';

const PIECE = 256 * 1024;
const COUNT = 128; // 32 MiB: far more than loopback socket buffers hold
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts what the producer made, what the socket wrote, and whether the producer was closed. */
function producer(opts: { failFirst?: boolean } = {}) {
  const state = { produced: 0, written: 0, closed: false };
  async function* pieces(): AsyncGenerator<BodyPiece> {
    try {
      if (opts.failFirst) throw new Error('chunk index is gone');
      for (let i = 0; i < COUNT; i++) {
        state.produced++;
        yield { bytes: Buffer.alloc(PIECE, i), written: () => state.written++ };
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, pieces };
}

let server: ServerType | undefined;
let client: Socket | undefined;
afterEach(async () => {
  client?.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function start(pieces: () => AsyncIterable<BodyPiece>): Promise<number> {
  const app = new Hono();
  app.get('/x', (c) => sendPieces(c, 200, { 'content-type': 'application/octet-stream', 'content-length': String(PIECE * COUNT) }, pieces()));
  return new Promise((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port));
  });
}

/** A client that sends the request and reads nothing until told to. */
function request(port: number): Socket {
  client = connect(port, '127.0.0.1');
  client.pause();
  client.write('GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
  return client;
}

describe('sendPieces on a real socket', () => {
  it('calls written only once the socket took a piece, and stops producing while the client does not read', async () => {
    const p = producer();
    const socket = request(await start(p.pieces));
    await sleep(500);
    const stalled = { ...p.state };
    expect(stalled.produced).toBeLessThan(COUNT); // backpressure: the producer waits for the client
    expect(stalled.produced - stalled.written).toBeGreaterThan(0); // queued pieces are not released yet
    expect(stalled.produced - stalled.written).toBeLessThanOrEqual(1 + (1024 * 1024) / PIECE); // at most ~1 MiB queued
    await sleep(200);
    expect(p.state.produced).toBe(stalled.produced);

    const parts: Buffer[] = [];
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.resume();
    await new Promise((r) => socket.once('end', r));
    const all = Buffer.concat(parts);
    const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
    expect(all.subarray(0, 15).toString()).toBe('HTTP/1.1 200 OK');
    expect(body.length).toBe(PIECE * COUNT);
    for (let i = 0; i < COUNT; i++) expect(body[i * PIECE] === i % 256 && body[(i + 1) * PIECE - 1] === i % 256, `piece ${i}`).toBe(true);
    expect(p.state).toEqual({ produced: COUNT, written: COUNT, closed: true });
  });

  it('closes the producer and releases every piece when the client goes away', async () => {
    const p = producer();
    const socket = request(await start(p.pieces));
    await sleep(300);
    socket.destroy();
    for (let i = 0; i < 50 && !p.state.closed; i++) await sleep(20);
    expect(p.state.closed).toBe(true);
    expect(p.state.produced).toBeLessThan(COUNT);
    expect(p.state.written).toBe(p.state.produced);
  });

  it('sends the given status and headers once, and the app sees that status', async () => {
    let seen = 0;
    const app = new Hono();
    app.use('*', async (c, next) => {
      await next();
      seen = c.res.status;
    });
    app.get('/partial', (c) => sendPieces(c, 206, { 'content-range': 'bytes 0-2/10', 'content-length': '3' }, (async function* () { yield { bytes: Buffer.from('abc') }; })()));
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port));
    });
    const res = await fetch(`http://127.0.0.1:${port}/partial`);
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 0-2/10');
    expect(await res.text()).toBe('abc');
    expect(seen).toBe(206);
  });

  it('answers an error status when the first piece fails (nothing sent yet)', async () => {
    const p = producer({ failFirst: true });
    const socket = request(await start(p.pieces));
    socket.resume();
    const text = await new Promise<string>((resolve) => {
      let s = '';
      socket.on('data', (d: Buffer) => (s += d.toString()));
      socket.once('end', () => resolve(s));
    });
    expect(text.startsWith('HTTP/1.1 500')).toBe(true);
  });
});
