// `steward serve --db postgres://… --store s3://bucket/prefix` end to end: a push and a verified
// pull through a real server on a real PostgreSQL and a real S3-compatible server (moto).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StewardClient } from '@steward/client';
import { pullVersion, pushVersion } from '@steward/client/node';
import { startServer, type RunningServer } from '../../server.ts';
import { startS3TestServerOrSkip, type S3TestServer } from '../../storage/s3-test-server.ts';
import { testDbTargets } from '../../testing/test-dbs.ts';

const pg = testDbTargets().find((t) => t.name === 'postgres')!;
const dir = mkdtempSync(join(tmpdir(), 'steward-pg-s3-'));
let s3: S3TestServer | null = null;
let server: RunningServer | undefined;
let cleanupDb: (() => Promise<void>) | undefined;
afterAll(async () => {
  await server?.close();
  await s3?.stop();
  await cleanupDb?.();
  rmSync(dir, { recursive: true, force: true });
});

(pg.create ? describe : describe.skip)('steward serve on PostgreSQL + S3', () => {
  it('pushes and pulls a version', async () => {
    s3 = await startS3TestServerOrSkip('serve on PostgreSQL + S3');
    if (!s3) return;
    const db = await pg.create!();
    cleanupDb = db.cleanup;
    const env = { ...process.env, AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey };
    const store = `s3://${s3.bucket}/steward?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}&forcePathStyle=true`;
    server = await startServer({ port: 0, dataDir: join(dir, 'data'), db: db.url, store, quiet: true }, env);
    const client = new StewardClient({ url: server.url, token: server.adminToken! });
    await client.models.create({ name: 'acme/fraud' });
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'model.onnx'), Buffer.alloc(3 * 1024 * 1024, 7));
    const pushed = await pushVersion(client, { model: 'acme/fraud', version: '1.0.0', paths: [join(dir, 'src', 'model.onnx')] });
    expect(pushed.version.files[0]!.size).toBe(3 * 1024 * 1024);
    await pullVersion(client, { model: 'acme/fraud', ref: 'latest', outDir: join(dir, 'out'), home: join(dir, 'home') });
    expect(readFileSync(join(dir, 'out', 'model.onnx')).equals(Buffer.alloc(3 * 1024 * 1024, 7))).toBe(true);
  });
});

describe('startServer safety', () => {
  it('refuses a non-loopback bind with auth off', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, auth: false, dataDir: join(dir, 'unsafe'), quiet: true }, {})).rejects.toThrow(/refusing to listen/);
  });
  it('rejects an invalid configuration with the field named', async () => {
    await expect(startServer({ port: 70000, dataDir: join(dir, 'bad'), quiet: true }, {})).rejects.toThrow(/port/);
    await expect(startServer({ dataDir: join(dir, 'bad2'), db: 'mysql://x', quiet: true, port: 0 }, {})).rejects.toThrow(/unsupported database URL/);
  });
});
