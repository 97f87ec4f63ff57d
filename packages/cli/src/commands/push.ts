import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DatasetRef, JsonValue, StewardClient, VersionMetadata } from '@steward/client';
import { DigestCache, defaultDigestCacheFile, hashFile, pushVersion, uploadFile } from '@steward/client/node';
import type { App } from '../app.ts';
import { collect, parseDepends, parseKeyValues, parseMetrics, parseParams, parseRelation, UsageError } from '../args.ts';
import { formatBytes } from '../format.ts';
import { transferProgress } from '../progress.ts';

interface PushFlags {
  param: string[];
  metric: string[];
  tag: string[];
  dataset: string[];
  uploadDatasets?: boolean;
  schema?: string;
  depends: string[];
  parent?: string;
  relation?: string;
  description?: string;
  rehash?: boolean;
}

export function registerPushCommand(program: Command, app: App): void {
  program
    .command('push <name> <version> <paths...>')
    .description('publish files and directories as a new version')
    .option('--param <k=v>', 'training parameter (numbers and true/false parsed), repeatable', collect, [])
    .option('--metric <k=v>', 'evaluation metric (a number), repeatable', collect, [])
    .option('--tag <k=v>', 'tag, repeatable', collect, [])
    .option('--dataset <name=path>', 'dataset used, recorded by digest, repeatable', collect, [])
    .option('--upload-datasets', 'also upload dataset bytes')
    .option('--schema <file>', 'JSON file {"input": …, "output": …}')
    .option('--depends <model@range>', 'dependency on another model, repeatable', collect, [])
    .option('--parent <version>', 'version this one derives from')
    .option('--relation <relation>', 'retrain|finetune|online-update|quantize|distill')
    .option('--description <text>', 'release notes')
    .option('--rehash', 'read every file, even those unchanged (same size, times and inode) since an earlier push from this machine')
    .action(async (name: string, version: string, paths: string[], o: PushFlags, cmd: Command) => {
      const client = app.client(cmd);
      const json = app.globals(cmd).json;
      const metadata: VersionMetadata = {
        description: o.description,
        params: parseParams(o.param),
        metrics: parseMetrics(o.metric),
        tags: parseKeyValues(o.tag, 'tag'),
        dependencies: parseDepends(o.depends),
        parent: o.parent,
        relation: o.relation === undefined ? undefined : parseRelation(o.relation),
        ...(o.schema ? await readSchema(resolve(app.io.cwd, o.schema)) : {}),
      };
      const bar = transferProgress(app.io.stderr, !json);
      try {
        metadata.datasets = await datasets(client, app.io.cwd, parseKeyValues(o.dataset, 'dataset'), o.uploadDatasets === true, bar.update);
        const digests = o.rehash ? null : await DigestCache.open(defaultDigestCacheFile(app.io.env));
        const res = await pushVersion(client, { model: name, version, paths, metadata, cwd: app.io.cwd, onProgress: bar.update, digests });
        bar.stop();
        const v = res.version;
        app.print(cmd, v, () =>
          `pushed ${v.model}@${v.version}: ${v.files.length} file(s), uploaded ${res.uploaded} (${formatBytes(res.uploadedBytes)}${res.chunks ? `, ${res.chunks.uploaded} of ${res.chunks.total} chunks` : ''}), ${res.skipped} already stored${res.unchanged ? ` (${res.unchanged} file(s) unchanged since an earlier push, not read)` : ''}`,
        );
      } finally {
        bar.stop();
      }
    });
}

async function readSchema(file: string): Promise<Pick<VersionMetadata, 'inputSchema' | 'outputSchema'>> {
  let parsed: { input?: JsonValue; output?: JsonValue };
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new UsageError(`--schema ${file}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || (!('input' in parsed) && !('output' in parsed))) {
    throw new UsageError(`--schema ${file}: expected a JSON object with "input" and/or "output"`);
  }
  return { inputSchema: parsed.input, outputSchema: parsed.output };
}

/** Datasets are recorded by digest; with --upload-datasets their bytes go to the blob store too. */
async function datasets(
  client: StewardClient,
  cwd: string,
  named: Record<string, string>,
  upload: boolean,
  onProgress: Parameters<typeof pushVersion>[1]['onProgress'],
): Promise<DatasetRef[] | undefined> {
  const out: DatasetRef[] = [];
  for (const [name, path] of Object.entries(named)) {
    const abs = resolve(cwd, path);
    const d = await hashFile(abs).catch(() => {
      throw new UsageError(`--dataset ${name}: cannot read ${path}`);
    });
    if (upload && (await client.blobs.head(d.sha256)) === null) {
      await uploadFile(client, abs, d, (n) => onProgress?.({ phase: 'upload', path, bytes: n, total: d.size }));
    }
    out.push({ name, sha256: d.sha256, size: d.size, ...(upload ? { uploaded: true } : {}) });
  }
  return out.length ? out : undefined;
}
