import { createHash } from 'node:crypto';
import semver from 'semver';
import { canonicalJson, manifestBytes, type VersionManifest } from '@steward/core';
import { bumpSatisfies, classifySchemaChange } from './schema-compat.ts';
import { errored, fail, pass, type GateContext, type Verdict } from './gate-types.ts';

/** Re-hashes every stored blob of the version and verifies the manifest signature. */
export async function integrityGate(ctx: GateContext): Promise<Verdict> {
  const v = ctx.version;
  const bad: { path: string; expected: string; actual: string }[] = [];
  for (const f of v.files) {
    const { stream } = await ctx.blobs.open(f.sha256);
    const h = createHash('sha256');
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      h.update(chunk);
      size += chunk.length;
    }
    const actual = h.digest('hex');
    if (actual !== f.sha256 || size !== f.size) bad.push({ path: f.path, expected: f.sha256, actual });
  }
  const m = v.manifest as VersionManifest | null;
  if (!m || !v.signature) return fail('version has no signed manifest', null, 'signed manifest');
  const signatureOk = ctx.signingKey.verify(manifestBytes(m), v.signature);
  const filesMatch = canonicalJson(m.files) === canonicalJson([...v.files].map(({ path, size, sha256 }) => ({ path, size, sha256 })).sort((a, b) => (a.path < b.path ? -1 : 1)));
  const evidence = { files: v.files.length, keyId: v.keyId, signatureOk, filesMatchManifest: filesMatch, corrupted: bad };
  if (!signatureOk) return fail(`manifest signature does not verify with key ${ctx.signingKey.keyId}`, evidence, 'valid signature', evidence);
  if (!filesMatch) return fail('file list differs from the signed manifest', evidence, 'files = manifest', evidence);
  if (bad.length) return fail(`${bad.length} stored file(s) do not hash to their recorded digest: ${bad.map((b) => b.path).join(', ')}`, bad.length, 0, evidence);
  return pass(`${v.files.length} file(s) re-hashed, signature valid`, 0, 0, evidence);
}

/** Compares input/output schemas with the channel's current version and checks the semver bump. */
export async function schemaGate(ctx: GateContext): Promise<Verdict> {
  const base = ctx.baseline;
  if (!base) return pass('channel has no current version to compare with');
  const input = classifySchemaChange(base.inputSchema, ctx.version.inputSchema, 'input');
  const output = classifySchemaChange(base.outputSchema, ctx.version.outputSchema, 'output');
  const change = input.change === 'breaking' || output.change === 'breaking' ? 'breaking' : input.change === 'additive' || output.change === 'additive' ? 'additive' : 'none';
  const bump = bumpSatisfies(base.version, ctx.version.version, change);
  const evidence = { baseline: base.version, change, reasons: [...input.reasons, ...output.reasons], bump: bump.got };
  if (!bump.ok) return fail(`${change} schema change (${evidence.reasons.join('; ')}) needs a ${bump.needed} bump from ${base.version}, got ${ctx.version.version}`, bump.got, bump.needed, evidence);
  return pass(change === 'none' ? 'schemas unchanged' : `${change} schema change with a ${bump.got} bump`, bump.got, bump.needed, evidence);
}

/** Every dependency range still resolves to a committed version. */
export async function dependenciesGate(ctx: GateContext): Promise<Verdict> {
  const deps = Object.entries(ctx.version.dependencies ?? {});
  const resolved: Record<string, string | null> = {};
  for (const [dep, range] of deps) {
    try {
      const page = await ctx.versions.list(dep, { range, limit: 1, order: 'desc' });
      resolved[dep] = page.items[0]?.version ?? null;
    } catch {
      resolved[dep] = null;
    }
  }
  const missing = Object.entries(resolved).filter(([, v]) => v === null).map(([d]) => `${d}@${ctx.version.dependencies[d]}`);
  if (missing.length) return fail(`unresolvable: ${missing.join(', ')}`, resolved, ctx.version.dependencies, { resolved });
  return pass(deps.length ? `${deps.length} dependenc${deps.length === 1 ? 'y' : 'ies'} resolved` : 'no dependencies', resolved, ctx.version.dependencies, { resolved });
}

/** Total bytes of the version (or of one variant's files under `<variant>/`). */
export async function sizeGate(ctx: GateContext, spec: { maxBytes: number; variant?: string | undefined; platform?: string | undefined }): Promise<Verdict> {
  const files = spec.variant ? ctx.version.files.filter((f) => f.path.startsWith(`${spec.variant}/`)) : ctx.version.files;
  if (spec.variant && files.length === 0) return errored(`no files under ${spec.variant}/ (variant "${spec.variant}")`);
  const total = files.reduce((s, f) => s + f.size, 0);
  const evidence = { files: files.length, variant: spec.variant ?? 'all', platform: spec.platform ?? null };
  return total <= spec.maxBytes ? pass(`${total} bytes <= ${spec.maxBytes}`, total, spec.maxBytes, evidence) : fail(`${total} bytes > budget ${spec.maxBytes}`, total, spec.maxBytes, evidence);
}

export const semverValid = (s: string) => semver.valid(s) !== null;
