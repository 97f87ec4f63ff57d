import semver from 'semver';
import {
  assertFilePath,
  assertModelName,
  buildManifest,
  canonicalJson,
  ConflictError,
  InvalidInputError,
  manifestBytes,
  NotFoundError,
  parseFilter,
  parseVersion,
} from '@steward/core';
import type { VersionQuery } from '@steward/core/api';
import { decodeCursor, encodeCursor, type Page } from '../../lib/cursor.ts';
import { iso, type Principal } from '../../lib/context.ts';
import { newId } from '../../lib/ids.ts';
import { toJson } from '../../lib/json-cols.ts';
import type { BlobService } from '../blobs/blobs.service.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import type { ModelRow, ModelStore } from '../models/models.store.ts';
import { rangeBounds } from './range-bounds.ts';
import { toVersion } from './versions.mapper.ts';
import type { AttrRow, VersionRow, VersionStore } from './versions.store.sql.ts';
import type { Draft, FileEntry, Version, VersionInput } from './versions.types.ts';

const DRAFT_TTL_MS = 24 * 3600_000;
const MAX_FILES = 10_000;

export type ListOptions = VersionQuery;

export interface VersionServiceDeps {
  modelStore: ModelStore;
  versionStore: VersionStore;
  blobs: BlobService;
  signingKey: SigningKey;
  now: () => Date;
  /** A channel's stable version, for refs like `fraud@production`. */
  channelStable: (modelName: string, channel: string) => Promise<string | undefined>;
}

export function createVersionService(deps: VersionServiceDeps) {
  const { modelStore, versionStore, blobs, signingKey, now } = deps;

  async function model(name: string): Promise<ModelRow> {
    assertModelName(name);
    const m = await modelStore.findRow(name);
    if (!m) throw new NotFoundError(`model "${name}" not found; create it with: steward model create ${name}`, { model: name }, 'model_not_found');
    return m;
  }

  async function committedRow(m: ModelRow, version: string): Promise<VersionRow> {
    const row = await versionStore.findCommitted(m.id, parseVersion(version).version);
    if (!row) throw new NotFoundError(`version ${m.name}@${version} not found`, { model: m.name, version }, 'version_not_found');
    return row;
  }

  async function withFiles(m: ModelRow, rows: VersionRow[]): Promise<Version[]> {
    const files = await versionStore.files(rows.map((r) => r.id));
    return rows.map((r) => toVersion(m.name, r, files.get(r.id) ?? []));
  }

  async function draftRow(m: ModelRow, id: string): Promise<VersionRow> {
    const d = await versionStore.findDraft(m.id, id);
    if (!d || (d.expires_at && d.expires_at < iso(now()))) {
      throw new NotFoundError(`draft "${id}" of ${m.name} not found or expired; start the push again`, { draft: id }, 'draft_not_found');
    }
    return d;
  }

  const toDraft = (m: ModelRow, d: VersionRow, files: FileEntry[]): Draft => ({ id: d.id, model: m.name, version: d.version, files, expiresAt: d.expires_at ?? '' });

  async function refuseExisting(m: ModelRow, version: string) {
    const existing = await versionStore.findCommitted(m.id, version);
    if (existing) {
      throw new ConflictError(
        `${m.name}@${version} already exists (committed ${existing.committed_at} by ${existing.author}); versions are immutable, push a new number`,
        { model: m.name, version, existing: { version, committedAt: existing.committed_at, author: existing.author } },
        'version_exists',
      );
    }
  }

  return {
    async createDraft(modelName: string, input: VersionInput, by: Principal): Promise<Draft> {
      const m = await model(modelName);
      const current = await modelStore.get(modelName);
      if (current?.archived) throw new ConflictError(`model "${modelName}" is archived; unarchive it before pushing`, { model: modelName }, 'model_archived');
      const parsed = parseVersion(input.version);
      if (input.relation && !input.parent) throw new InvalidInputError('relation needs a parent version (--parent)', { field: 'relation' });
      if (input.parent) await committedRow(m, input.parent);
      for (const [dep, range] of Object.entries(input.dependencies ?? {})) {
        assertModelName(dep);
        if (semver.validRange(range) === null) throw new InvalidInputError(`dependency ${dep}@${range}: invalid semver range`, { field: `dependencies.${dep}` }, 'invalid_range');
      }
      await refuseExisting(m, parsed.version);
      const at = now();
      const row: VersionRow = {
        id: newId('ver'),
        model_id: m.id,
        version: parsed.version,
        sort_key: parsed.sortKey,
        prerelease: parsed.prerelease ? 1 : 0,
        state: 'draft',
        description: input.description ?? '',
        params: toJson(input.params ?? {}),
        metrics: toJson(input.metrics ?? {}),
        tags: toJson(input.tags ?? {}),
        datasets: toJson(input.datasets ?? []),
        input_schema: input.inputSchema === undefined ? null : toJson(input.inputSchema),
        output_schema: input.outputSchema === undefined ? null : toJson(input.outputSchema),
        dependencies: toJson(input.dependencies ?? {}),
        parent: input.parent ? parseVersion(input.parent).version : null,
        relation: input.relation ?? null,
        author: by.name,
        created_at: iso(at),
        committed_at: null,
        expires_at: iso(new Date(at.getTime() + DRAFT_TTL_MS)),
        manifest: null,
        signature: null,
        key_id: null,
      };
      await versionStore.insertDraft(row);
      return toDraft(m, row, []);
    },

    async attachFiles(modelName: string, draftId: string, files: FileEntry[]): Promise<Draft> {
      const m = await model(modelName);
      const d = await draftRow(m, draftId);
      const seen = new Set<string>();
      for (const f of files) {
        assertFilePath(f.path);
        if (seen.has(f.path)) throw new InvalidInputError(`file "${f.path}" is listed twice`, { path: f.path }, 'duplicate_path');
        seen.add(f.path);
      }
      // One query for presence and sizes (and the GC touch), not one per file.
      const sizes = await blobs.storedSizes(files.map((f) => f.sha256));
      const missing = [...new Set(files.map((f) => f.sha256))].filter((sha) => !sizes.has(sha));
      if (missing.length) throw new ConflictError(`${missing.length} file(s) not uploaded yet: PUT /api/v1/blobs/{sha256} first`, { missing }, 'blob_missing');
      for (const f of files) {
        const size = sizes.get(f.sha256)!;
        if (size !== f.size) throw new InvalidInputError(`file "${f.path}": size ${f.size} does not match the stored blob (${size} bytes)`, { path: f.path }, 'size_mismatch');
      }
      const existing = (await versionStore.files([d.id])).get(d.id) ?? [];
      if (new Set([...existing.map((f) => f.path), ...seen]).size > MAX_FILES) throw new InvalidInputError(`a version holds at most ${MAX_FILES} files`, {}, 'too_many_files');
      await versionStore.setDraftFiles(d.id, files);
      return toDraft(m, d, (await versionStore.files([d.id])).get(d.id) ?? []);
    },

    async commit(modelName: string, draftId: string, by: Principal): Promise<Version> {
      const m = await model(modelName);
      const d = await draftRow(m, draftId);
      const files = (await versionStore.files([d.id])).get(d.id) ?? [];
      if (files.length === 0) throw new InvalidInputError('a version needs at least one file', { draft: draftId }, 'no_files');
      await refuseExisting(m, d.version);
      const dependencies = JSON.parse(d.dependencies) as Record<string, string>;
      for (const [dep, range] of Object.entries(dependencies)) {
        const depModel = await modelStore.findRow(dep);
        const have = depModel ? await versionStore.committedVersionStrings(depModel.id) : [];
        if (!semver.maxSatisfying(have, range)) {
          throw new ConflictError(`dependency ${dep}@${range} cannot be resolved: no committed version of "${dep}" satisfies it`, { dependency: dep, range }, 'dependency_unresolved');
        }
      }
      const datasets = JSON.parse(d.datasets) as { name: string; sha256: string; size: number; uploaded?: boolean }[];
      const missing = await blobs.missing(datasets.filter((x) => x.uploaded).map((x) => x.sha256));
      if (missing.length) throw new ConflictError('uploaded dataset blobs are missing', { missing }, 'blob_missing');
      const committedAt = iso(now());
      const manifest = buildManifest({
        model: m.name,
        version: d.version,
        files,
        params: JSON.parse(d.params),
        metrics: JSON.parse(d.metrics),
        datasets: datasets.map(({ name, sha256, size }) => ({ name, sha256, size })),
        inputSchema: d.input_schema === null ? null : JSON.parse(d.input_schema),
        outputSchema: d.output_schema === null ? null : JSON.parse(d.output_schema),
        dependencies,
        parent: d.parent,
        relation: d.relation,
        author: d.author,
        committedAt,
      });
      const attrs: AttrRow[] = [];
      const push = (kind: AttrRow['kind'], key: string, v: unknown) =>
        attrs.push({ version_id: d.id, model_id: m.id, kind, key, num_value: typeof v === 'number' ? v : null, str_value: typeof v === 'number' ? null : String(v) });
      for (const [k, v] of Object.entries(manifest.metrics)) push('metric', k, v);
      for (const [k, v] of Object.entries(manifest.params)) push('param', k, v);
      for (const [k, v] of Object.entries(JSON.parse(d.tags) as Record<string, string>)) push('tag', k, v);
      await versionStore.commit(
        d.id,
        { committedAt, manifest: canonicalJson(manifest), signature: signingKey.sign(manifestBytes(manifest)), keyId: signingKey.keyId },
        attrs,
        { actor: by.name, action: 'version.commit', target: `${m.name}@${d.version}`, details: { files: files.length } },
      );
      return this.get(modelName, d.version);
    },

    async deleteDraft(modelName: string, draftId: string): Promise<void> {
      const m = await model(modelName);
      await draftRow(m, draftId);
      await versionStore.deleteDraft(draftId);
    },

    /** `ref`: a semver, `latest`, or a channel name (its stable version). */
    async get(modelName: string, ref: string): Promise<Version> {
      const m = await model(modelName);
      let row: VersionRow | undefined;
      if (ref === 'latest') {
        row = await versionStore.latest(m.id);
        if (!row) throw new NotFoundError(`${modelName} has no committed release version yet`, { model: modelName }, 'version_not_found');
      } else if (semver.valid(ref) === ref) {
        row = await committedRow(m, ref);
      } else {
        const stable = await deps.channelStable(modelName, ref);
        if (!stable) throw new NotFoundError(`"${ref}" is neither a version nor a channel of ${modelName}`, { model: modelName, ref }, 'ref_not_found');
        row = await committedRow(m, stable);
      }
      return (await withFiles(m, [row]))[0]!;
    },

    async list(modelName: string, opts: ListOptions): Promise<Page<Version>> {
      const m = await model(modelName);
      const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
      const order = opts.order ?? 'desc';
      const clauses = parseFilter(opts.filter ?? '');
      const bounds = opts.range ? rangeBounds(opts.range) : {};
      let after = decodeCursor(opts.cursor, (v): v is string => typeof v === 'string');
      const out: VersionRow[] = [];
      // Range bounds select a superset; filter exactly and keep reading until the page is full.
      for (;;) {
        const batch = await versionStore.list(m.id, {
          ...bounds,
          clauses,
          order,
          limit: limit + 1,
          ...(after !== undefined ? { after } : {}),
          ...(opts.createdAfter ? { createdAfter: opts.createdAfter } : {}),
          ...(opts.createdBefore ? { createdBefore: opts.createdBefore } : {}),
        });
        for (const r of batch) if (!opts.range || semver.satisfies(r.version, opts.range)) out.push(r);
        if (batch.length < limit + 1 || out.length > limit) break;
        after = batch[batch.length - 1]!.sort_key;
      }
      const page = out.slice(0, limit);
      return { items: await withFiles(m, page), nextCursor: out.length > limit ? encodeCursor(page[page.length - 1]!.sort_key) : null };
    },

    async update(modelName: string, version: string, patch: { description?: string; tags?: Record<string, string | null> }, by: Principal): Promise<Version> {
      const m = await model(modelName);
      const row = await committedRow(m, version);
      let tags: Record<string, string> | undefined;
      if (patch.tags) {
        tags = { ...(JSON.parse(row.tags) as Record<string, string>) };
        for (const [k, v] of Object.entries(patch.tags)) if (v === null) delete tags[k]; else tags[k] = v;
      }
      await versionStore.updateMeta(row.id, { ...(patch.description !== undefined ? { description: patch.description } : {}), ...(tags ? { tags } : {}) }, m.id, iso(now()), {
        actor: by.name,
        action: 'version.update',
        target: `${modelName}@${row.version}`,
        details: patch,
      });
      return this.get(modelName, row.version);
    },

    async fileEntry(modelName: string, version: string, path: string): Promise<FileEntry> {
      const v = await this.get(modelName, version);
      const f = v.files.find((x) => x.path === path);
      if (!f) throw new NotFoundError(`${modelName}@${v.version} has no file "${path}"`, { path }, 'file_not_found');
      return f;
    },
  };
}

export type VersionService = ReturnType<typeof createVersionService>;
