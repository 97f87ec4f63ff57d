import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StagedFiles } from './staged-files.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-staged-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('StagedFiles', () => {
  it('puts nothing in place until commit, then every file', async () => {
    await writeFile(join(dir, 'a.bin'), 'old a');
    const staged = new StagedFiles();
    await writeFile(await staged.add(join(dir, 'a.bin')), 'new a');
    await writeFile(await staged.add(join(dir, 'sub', 'deep', 'b.bin')), 'new b');
    expect(await readFile(join(dir, 'a.bin'), 'utf8')).toBe('old a');
    await staged.commit();
    expect(await readFile(join(dir, 'a.bin'), 'utf8')).toBe('new a');
    expect(await readFile(join(dir, 'sub', 'deep', 'b.bin'), 'utf8')).toBe('new b');
    expect((await readdir(dir)).sort()).toEqual(['a.bin', 'sub']); // no temp files left
  });

  it('discard removes the temp files and the directories it made, and only those', async () => {
    await mkdir(join(dir, 'kept'));
    await writeFile(join(dir, 'kept', 'other.txt'), 'someone else');
    const staged = new StagedFiles();
    await writeFile(await staged.add(join(dir, 'kept', 'x.bin')), 'x');
    await writeFile(await staged.add(join(dir, 'made', 'deep', 'y.bin')), 'y');
    await staged.add(join(dir, 'made', 'z.bin')); // never created: discarding it is fine
    await staged.discard();
    expect(await readdir(dir)).toEqual(['kept']);
    expect(await readdir(join(dir, 'kept'))).toEqual(['other.txt']);
  });

  it('removes temp files a dead process left in a directory it writes to, and not a live one\'s', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // exited by now
    const orphan = `.a.bin.${dead}-deadbeef.steward-part`;
    const live = `.b.bin.${process.pid}-0badcafe.steward-part`;
    for (const n of [orphan, live, 'notes.txt']) await writeFile(join(dir, n), 'x');
    const staged = new StagedFiles();
    const tmp = await staged.add(join(dir, 'a.bin'));
    expect((await readdir(dir)).sort()).toEqual([live, 'notes.txt']);
    await writeFile(tmp, 'new a');
    await staged.commit();
    expect((await readdir(dir)).sort()).toEqual([live, 'a.bin', 'notes.txt']);
  });
});
