import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP server for tests that answers each JSON request body through `answer`, keeping the bodies. */
export async function startJsonServer<T>(answer: (body: T, res: ServerResponse) => void): Promise<{ url: string; bodies: T[]; stop(): Promise<void> }> {
  const bodies: T[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as T;
      bodies.push(body);
      answer(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
