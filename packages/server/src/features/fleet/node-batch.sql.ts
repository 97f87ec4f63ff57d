import { sql, type QueryExecutorProvider, type RawBuilder } from 'kysely';
import { toJson } from '../../lib/json-cols.ts';
import type { HeartbeatInput, InstalledVersion } from './fleet.types.ts';

/**
 * A touch is a heartbeat that changed nothing but liveness and telemetry: it applies only while
 * the row's `report_key` is still the one this server last saw (another server may have recorded a
 * different report meanwhile); a record writes the whole report, its installs and subscriptions.
 */
export type NodeWrite =
  | { kind: 'touch'; id: string; at: string; block: number; hb: HeartbeatInput; reportKey: string; repair: Omit<Extract<NodeWrite, { kind: 'record' }>, 'kind' | 'prevChannels'> & { mayClaim: boolean } }
  | { kind: 'record'; id: string; tokenId: string; tokenName: string; at: string; block: number; flagged: InstalledVersion[]; hb: HeartbeatInput; prevChannels: { model: string; channel: string }[]; reportKey: string };

type TouchOp = Extract<NodeWrite, { kind: 'touch' }>;
type RecordOp = Extract<NodeWrite, { kind: 'record' }>;

/**
 * A batch's rows go to the database as one JSON array bound as one parameter, expanded by
 * `jsonb_to_recordset` (PostgreSQL) or `json_each` (SQLite): each statement's text is the same for
 * any batch size, so it is parsed and planned cheaply, and the driver binds one string instead of
 * a parameter per column per node. Per record this replaced four statements (a round trip each on
 * PostgreSQL, ~0.6 ms of wall and ~300 µs of the server's CPU per record at 10k nodes); the VALUES
 * list the touches used before cost ~35 µs per node on SQLite, most of it preparing a new statement.
 */
function rows(postgres: boolean, doc: string, cols: readonly (readonly [string, 'text' | 'bigint'])[]) {
  return postgres
    ? sql`jsonb_to_recordset(${doc}::jsonb) as v(${sql.raw(cols.map(([c, t]) => `${c} ${t}`).join(', '))})`
    : sql`(select ${sql.raw(cols.map(([c]) => `value ->> '${c}' as ${c}`).join(', '))} from json_each(${doc})) as v`;
}

const TOUCH_COLS = [['id', 'text'], ['k', 'text'], ['at', 'text'], ['b', 'bigint'], ['h', 'text'], ['a', 'text'], ['p', 'text'], ['t', 'text']] as const;
const NODE_COLS = [['id', 'text'], ['tid', 'text'], ['tn', 'text'], ['p', 'text'], ['a', 'text'], ['h', 'text'], ['i', 'text'], ['t', 'text'], ['f', 'text'], ['at', 'text'], ['b', 'bigint'], ['k', 'text']] as const;
const PAIR_COLS = [['n', 'text'], ['m', 'text'], ['c', 'text']] as const;
const INSTALLED_COLS = [['n', 'text'], ['m', 'text'], ['v', 'text'], ['d', 'text']] as const;

/** Statements that write a batch of heartbeats inside the caller's transaction. */
export function nodeBatchSql(postgres: boolean) {
  /**
   * `col` is one of `ids`. PostgreSQL as `= any(array(…))`: as `in (select …)` it planned a
   * hash semi-join over a sequential scan of node_installed (a set-returning function is estimated
   * at 100 rows), 27 ms at 10k nodes instead of 2 ms by the primary key. SQLite searches the index
   * either way.
   */
  const nodeIdIn = (col: string, ids: string[]) =>
    postgres ? sql`${sql.ref(col)} = any(array(select value from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)))` : sql`${sql.ref(col)} in (select value from json_each(${JSON.stringify(ids)}))`;

  /** Liveness touches as one UPDATE … FROM, RETURNING the ids it matched (the others missed). */
  async function touch(trx: QueryExecutorProvider, touches: TouchOp[]): Promise<string[]> {
    const r = await sql<{ id: string }>`${touchUpdate(rows(postgres, touchDoc(touches), TOUCH_COLS))}`.execute(trx);
    return r.rows.map((x) => x.id);
  }

  /**
   * Full reports: one upsert of the rows, then each node's installed versions (node_installed)
   * replaced, and its subscriptions (node_channels) where they changed. At most one write per node
   * (the writer keeps the newest).
   */
  async function record(trx: QueryExecutorProvider, records: RecordOp[]): Promise<void> {
    await nodesUpsert(rows(postgres, nodeDoc(records), NODE_COLS)).execute(trx);

    const moved = records.filter((op) => !sameChannels(op.prevChannels, op.hb.channels));
    if (moved.length > 0) {
      await sql`delete from node_channels where ${nodeIdIn('node_id', moved.map((op) => op.id))}`.execute(trx);
      await sql`insert into node_channels (node_id, model, channel) select v.n, v.m, v.c from ${rows(postgres, pairsDoc(moved), PAIR_COLS)}`.execute(trx);
    }
    await sql`delete from node_installed where ${nodeIdIn('node_id', records.map((op) => op.id))}`.execute(trx);
    await sql`insert into node_installed (node_id, model, version, digest) select v.n, v.m, v.v, v.d from ${rows(postgres, installedDoc(records), INSTALLED_COLS)}`.execute(trx);
  }

  /**
   * PostgreSQL: a whole group commit — touches and records — as one statement of data-modifying
   * CTEs, so one round trip and no BEGIN/COMMIT (a single statement commits atomically). The
   * separate statements of `touch` + `record` in a transaction were six round trips, each a wait
   * for a PostgreSQL process to get a core when the machine is busy; the heartbeats that report an
   * install waited for all of them. All CTEs see one snapshot, so the subscriptions and installs are
   * replaced as a difference (delete the rows not in the new set, insert the new ones that are
   * missing) — a delete and an insert of the same row in one statement would lose it. Returns the
   * ids the touches matched.
   */
  async function writePg(db: QueryExecutorProvider, touches: TouchOp[], records: RecordOp[]): Promise<string[]> {
    const moved = records.filter((op) => !sameChannels(op.prevChannels, op.hb.channels));
    const r = await sql<{ id: string }>`
      with
        t as (${touchUpdate(rows(true, touchDoc(touches), TOUCH_COLS))}),
        n as (${nodesUpsert(rows(true, nodeDoc(records), NODE_COLS))} returning 1),
        pairs as (select v.n, v.m, v.c from ${rows(true, pairsDoc(moved), PAIR_COLS)}),
        cd as (
          delete from node_channels nc where ${nodeIdIn('nc.node_id', moved.map((op) => op.id))}
            and not exists (select 1 from pairs p where p.n = nc.node_id and p.m = nc.model and p.c = nc.channel)
          returning 1),
        ci as (insert into node_channels (node_id, model, channel) select p.n, p.m, p.c from pairs p on conflict do nothing returning 1),
        inst as (select v.n, v.m, v.v, v.d from ${rows(true, installedDoc(records), INSTALLED_COLS)}),
        idel as (
          delete from node_installed ni where ${nodeIdIn('ni.node_id', records.map((op) => op.id))}
            and not exists (select 1 from inst i where i.n = ni.node_id and i.m = ni.model and i.v = ni.version and i.d = ni.digest)
          returning 1),
        iins as (insert into node_installed (node_id, model, version, digest) select i.n, i.m, i.v, i.d from inst i on conflict do nothing returning 1)
      select id from t`.execute(db);
    return r.rows.map((x) => x.id);
  }

  return { touch, record, writePg };
}

const UPSERT_SET = ['token_id', 'token_name', 'profile', 'app_version', 'health', 'installed', 'telemetry', 'flagged', 'last_seen_at', 'last_block', 'report_key'].map((c) => `${c} = excluded.${c}`).join(', ');

/** Liveness touches from `from` (TOUCH_COLS), applied only where the report key still matches; returns the ids it matched. */
const touchUpdate = (from: RawBuilder<unknown>) => sql`
  update nodes set last_seen_at = v.at, last_block = v.b, health = v.h, app_version = v.a, profile = v.p, telemetry = v.t
  from ${from}
  where nodes.id = v.id and nodes.report_key = v.k
  returning nodes.id`;

/** Full reports from `from` (NODE_COLS) upserted into nodes. `where true`: SQLite's parser needs it to read ON CONFLICT after INSERT … SELECT. */
const nodesUpsert = (from: RawBuilder<unknown>) => sql`
  insert into nodes (id, token_id, token_name, profile, app_version, health, installed, telemetry, flagged, first_seen_at, last_seen_at, last_block, report_key)
  select v.id, v.tid, v.tn, v.p, v.a, v.h, v.i, v.t, v.f, v.at, v.at, v.b, v.k from ${from} where true
  on conflict (id) do update set ${sql.raw(UPSERT_SET)}`;

const touchDoc = (touches: TouchOp[]) =>
  JSON.stringify(touches.map((op) => ({ id: op.id, k: op.reportKey, at: op.at, b: op.block, h: op.hb.health, a: op.hb.appVersion, p: toJson(op.hb.profile), t: toJson(op.hb.telemetry ?? []) })));
const nodeDoc = (records: RecordOp[]) =>
  JSON.stringify(
    records.map((op) => ({ id: op.id, tid: op.tokenId, tn: op.tokenName, p: toJson(op.hb.profile), a: op.hb.appVersion, h: op.hb.health, i: toJson(op.hb.installed), t: toJson(op.hb.telemetry ?? []), f: toJson(op.flagged), at: op.at, b: op.block, k: op.reportKey })),
  );
/** The subscriptions of `moved` records, each pair once. */
const pairsDoc = (moved: RecordOp[]) => JSON.stringify(distinct(moved.flatMap((op) => op.hb.channels.map((c) => ({ n: op.id, m: c.model, c: c.channel }))), (p) => [p.n, p.m, p.c]));
/** The installs of `records`, each (node, model, version, digest) once. */
const installedDoc = (records: RecordOp[]) => JSON.stringify(distinct(records.flatMap((op) => op.hb.installed.map((i) => ({ n: op.id, m: i.model, v: i.version, d: i.digest }))), (r) => [r.n, r.m, r.v, r.d]));

const key = (c: { model: string; channel: string }) => `${c.model}\u0000${c.channel}`;
/** The same set of subscriptions (a report may list one twice). */
function sameChannels(a: readonly { model: string; channel: string }[], b: readonly { model: string; channel: string }[]): boolean {
  const sa = new Set(a.map(key));
  const sb = new Set(b.map(key));
  return sa.size === sb.size && [...sb].every((k) => sa.has(k));
}

function distinct<T>(xs: T[], keyOf: (x: T) => string[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = keyOf(x).join('\u0000');
    return !seen.has(k) && (seen.add(k), true);
  });
}
