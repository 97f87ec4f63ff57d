/**
 * The predictions of one model waiting for their label, column by column in typed arrays: no heap
 * object and no Map entry per prediction. Held as objects (one per prediction plus its Map entry),
 * 200k pending predictions cost the ingest core about as much as every sketch update together,
 * most of it the young-generation GC copying and promoting them; here each prediction is a slot in
 * a few typed arrays and its request id string.
 *
 * Slots: an open-addressing index (linear probing, backward-shift deletion) by request id, a
 * doubly linked list in insertion order (≈ time order: eviction and expiry take the oldest), and a
 * free list. Versions and group sets are interned per table. Slots never move while held; a
 * removed slot is reused, so callers that keep a slot across an await compare its `seq`.
 */
import type { PendingRow } from './monitoring.store.sql.ts';

/** Only here: a crash loses it. */
export const FRESH = 0;
/** Being written by the running flush. */
export const IN_FLIGHT = 1;
/** In a pending segment too (written here, loaded after a restart, or another replica's). */
export const STORED = 2;
export type PendingState = typeof FRESH | typeof IN_FLIGHT | typeof STORED;

/** A held prediction as a row, with the slot's sequence number to recognise it later. */
export interface HeldRow extends PendingRow {
  seq: number;
}

/** FNV-1a over UTF-16 code units. */
export function hashId(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Group sets interned by attribute then value (no key string built per event). */
interface GroupNode {
  index: number;
  next: Map<string, Map<string, GroupNode>>;
}
const groupNode = (): GroupNode => ({ index: -1, next: new Map() });
const MIN_GROUP_SETS_BEFORE_SWEEP = 4096;

export class PendingTable {
  #cap = 0;
  #size = 0;
  #seqNext = 0;
  #ids: string[] = [];
  #hash = new Int32Array(0);
  #seq = new Float64Array(0);
  #t = new Float64Array(0);
  #score = new Float64Array(0);
  #version = new Int32Array(0);
  #group = new Int32Array(0);
  #positive = new Uint8Array(0);
  #state = new Uint8Array(0);
  #next = new Int32Array(0);
  #prev = new Int32Array(0);
  #head = -1;
  #tail = -1;
  #free = -1;
  /** slot + 1 by hash position; 0 = empty. Length a power of two, at least twice the capacity. */
  #index = new Int32Array(0);
  #mask = 0;
  #versions: string[] = [];
  #versionIndex = new Map<string, number>();
  #lastVersion = '';
  #lastVersionIndex = -1;
  #groups: Array<Record<string, string>> = [];
  #groupRoot = groupNode();
  #sweepGroupsAt = MIN_GROUP_SETS_BEFORE_SWEEP;

  constructor(readonly model: string) {
    this.#grow(64);
  }

  get size(): number {
    return this.#size;
  }

  /** Slots allocated (held or free). */
  get capacity(): number {
    return this.#cap;
  }

  /**
   * Gives back memory after a burst: when at most a quarter of the slots are held, moves the held
   * ones (order, states and sequence numbers kept) into columns twice their number. Slot numbers
   * change: callers hold none across this (they find by request id and compare `seq`).
   */
  shrink(): void {
    const cap = Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, this.#size * 2))));
    if (this.#size * 4 > this.#cap || cap >= this.#cap) return;
    const old = { ids: this.#ids, hash: this.#hash, seq: this.#seq, t: this.#t, score: this.#score, version: this.#version, group: this.#group, positive: this.#positive, state: this.#state, next: this.#next };
    const head = this.#head;
    this.#cap = 0;
    this.#size = 0;
    this.#head = this.#tail = this.#free = -1;
    this.#ids = [];
    this.#hash = new Int32Array(0);
    this.#seq = this.#t = this.#score = new Float64Array(0);
    this.#version = this.#group = this.#next = this.#prev = new Int32Array(0);
    this.#positive = this.#state = new Uint8Array(0);
    this.#grow(cap);
    for (let o = head; o >= 0; o = old.next[o] as number) {
      const s = this.#free;
      this.#free = this.#next[s] as number;
      this.#ids[s] = old.ids[o] as string;
      this.#hash[s] = old.hash[o] as number;
      this.#seq[s] = old.seq[o] as number;
      this.#t[s] = old.t[o] as number;
      this.#score[s] = old.score[o] as number;
      this.#version[s] = old.version[o] as number;
      this.#group[s] = old.group[o] as number;
      this.#positive[s] = old.positive[o] as number;
      this.#state[s] = old.state[o] as number;
      this.#link(s);
      this.#size++;
    }
  }

  /** The oldest held slot, or -1. */
  get oldest(): number {
    return this.#head;
  }

  /** The slot held after `slot` (insertion order), or -1. */
  after(slot: number): number {
    return this.#next[slot] as number;
  }

  state(slot: number): PendingState {
    return this.#state[slot] as PendingState;
  }

  t(slot: number): number {
    return this.#t[slot] as number;
  }

  seq(slot: number): number {
    return this.#seq[slot] as number;
  }

  /** The slot holding `requestId` (its `hashId` is `h`), or -1. */
  find(requestId: string, h = hashId(requestId)): number {
    const index = this.#index;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[i] as number;
      if (e === 0) return -1;
      const s = e - 1;
      if (this.#hash[s] === h && this.#ids[s] === requestId) return s;
    }
  }

  /** Holds a prediction whose request id is not held (the caller checked with `find`). */
  add(requestId: string, h: number, version: string, t: number, score: number | undefined, positive: boolean, groups: Record<string, string> | undefined, state: PendingState): number {
    if (this.#free < 0) this.#grow(this.#cap * 2);
    const s = this.#free;
    this.#free = this.#next[s] as number;
    this.#ids[s] = requestId;
    this.#hash[s] = h;
    this.#seq[s] = this.#seqNext++;
    this.#t[s] = t;
    this.#score[s] = score ?? Number.NaN;
    this.#version[s] = this.#internVersion(version);
    this.#group[s] = groups ? this.#internGroups(groups) : -1;
    this.#positive[s] = positive ? 1 : 0;
    this.#state[s] = state;
    this.#link(s);
    this.#size++;
    return s;
  }

  /** Appends slot `s` to the insertion order and the index. */
  #link(s: number): void {
    this.#next[s] = -1;
    this.#prev[s] = this.#tail;
    if (this.#tail >= 0) this.#next[this.#tail] = s;
    else this.#head = s;
    this.#tail = s;
    this.#place(s);
  }

  /** Drops a held slot (joined, evicted or expired). */
  remove(slot: number): void {
    this.#unplace(slot);
    const p = this.#prev[slot] as number;
    const n = this.#next[slot] as number;
    if (p >= 0) this.#next[p] = n;
    else this.#head = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail = p;
    this.#ids[slot] = '';
    this.#next[slot] = this.#free;
    this.#free = slot;
    this.#size--;
  }

  /** Sets every held slot in state `from` to `to`; returns how many. */
  moveAll(from: PendingState, to: PendingState): number {
    let n = 0;
    for (let s = this.#head; s >= 0; s = this.#next[s] as number) {
      if (this.#state[s] === from) {
        this.#state[s] = to;
        n++;
      }
    }
    return n;
  }

  row(slot: number): HeldRow {
    const score = this.#score[slot] as number;
    const g = this.#group[slot] as number;
    return {
      model: this.model, requestId: this.#ids[slot] as string, version: this.#versions[this.#version[slot] as number] as string, t: this.#t[slot] as number,
      score: score === score ? score : undefined, predictedPositive: this.#positive[slot] === 1, groups: g >= 0 ? this.#groups[g] : undefined, seq: this.#seq[slot] as number,
    };
  }

  /**
   * The slots in state `from`, oldest first, as segment columns (versions and group sets renumbered
   * to those used), moved to state `to`; undefined when there are none.
   */
  take(from: PendingState, to: PendingState): SegmentColumns | undefined {
    let n = 0;
    for (let s = this.#head; s >= 0; s = this.#next[s] as number) if (this.#state[s] === from) n++;
    if (n === 0) return undefined;
    const c: SegmentColumns = {
      ids: new Array<string>(n), t: new Float64Array(n), score: new Float64Array(n), version: new Int32Array(n), group: new Int32Array(n),
      positive: new Uint8Array(n), versions: [], groups: [],
    };
    const versionMap = new Int32Array(this.#versions.length).fill(-1);
    const groupMap = new Int32Array(this.#groups.length).fill(-1);
    let i = 0;
    for (let s = this.#head; s >= 0; s = this.#next[s] as number) {
      if (this.#state[s] !== from) continue;
      this.#state[s] = to;
      c.ids[i] = this.#ids[s] as string;
      c.t[i] = this.#t[s] as number;
      c.score[i] = this.#score[s] as number;
      c.positive[i] = this.#positive[s] as number;
      const v = this.#version[s] as number;
      if (versionMap[v] === -1) versionMap[v] = c.versions.push(this.#versions[v] as string) - 1;
      c.version[i] = versionMap[v] as number;
      const g = this.#group[s] as number;
      if (g >= 0 && groupMap[g] === -1) groupMap[g] = c.groups.push(this.#groups[g] as Record<string, string>) - 1;
      c.group[i] = g >= 0 ? (groupMap[g] as number) : -1;
      i++;
    }
    return c;
  }

  #place(s: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = (this.#hash[s] as number) & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = s + 1;
  }

  /** Backward-shift deletion: later entries of the probe run move up, so no tombstones. */
  #unplace(s: number): void {
    const index = this.#index;
    const mask = this.#mask;
    let i = (this.#hash[s] as number) & mask;
    while (index[i] !== s + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = (this.#hash[(index[j] as number) - 1] as number) & mask;
      // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      index[i] = index[j] as number;
      i = j;
    }
    index[i] = 0;
  }

  /** Moves every column to arrays of `cap` slots: one buffer for all of them, new slots on the free list. */
  #grow(cap: number): void {
    const old = this.#cap;
    // 8-byte columns first, so every column starts on its element size.
    const buf = new ArrayBuffer(cap * (8 + 8 + 8 + 4 + 4 + 4 + 4 + 4 + 1 + 1));
    let at = 0;
    const take = <T extends Float64Array | Int32Array | Uint8Array>(Ctor: { new (b: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number }, from: T): T => {
      const col = new Ctor(buf, at, cap);
      at += cap * Ctor.BYTES_PER_ELEMENT;
      col.set(from);
      return col;
    };
    this.#seq = take(Float64Array, this.#seq);
    this.#t = take(Float64Array, this.#t);
    this.#score = take(Float64Array, this.#score);
    this.#hash = take(Int32Array, this.#hash);
    this.#version = take(Int32Array, this.#version);
    this.#group = take(Int32Array, this.#group);
    this.#next = take(Int32Array, this.#next);
    this.#prev = take(Int32Array, this.#prev);
    this.#positive = take(Uint8Array, this.#positive);
    this.#state = take(Uint8Array, this.#state);
    const ids = new Array<string>(cap).fill('');
    for (let s = 0; s < old; s++) ids[s] = this.#ids[s] as string;
    this.#ids = ids;
    // New slots join the free list, lowest first.
    for (let s = cap - 1; s >= old; s--) {
      this.#next[s] = this.#free;
      this.#free = s;
    }
    this.#cap = cap;
    let size = 1;
    while (size < cap * 2) size *= 2;
    this.#index = new Int32Array(size);
    this.#mask = size - 1;
    for (let s = this.#head; s >= 0; s = this.#next[s] as number) this.#place(s);
  }

  #internVersion(v: string): number {
    if (v === this.#lastVersion) return this.#lastVersionIndex;
    let i = this.#versionIndex.get(v);
    if (i === undefined) {
      i = this.#versions.push(v) - 1;
      this.#versionIndex.set(v, i);
    }
    this.#lastVersion = v;
    this.#lastVersionIndex = i;
    return i;
  }

  #internGroups(groups: Record<string, string>): number {
    let node = this.#groupRoot;
    for (const a in groups) {
      const v = groups[a] as string;
      let byValue = node.next.get(a);
      if (!byValue) node.next.set(a, (byValue = new Map()));
      let child = byValue.get(v);
      if (!child) byValue.set(v, (child = groupNode()));
      node = child;
    }
    if (node.index < 0) {
      if (this.#groups.length >= this.#sweepGroupsAt) {
        this.#sweepGroups();
        return this.#internGroups(groups);
      }
      node.index = this.#groups.push(groups) - 1;
    }
    return node.index;
  }

  /** Drops group sets no held prediction uses (many distinct sets came and went); memory stays bounded by the held rows. */
  #sweepGroups(): void {
    const old = this.#groups;
    this.#groups = [];
    this.#groupRoot = groupNode();
    this.#sweepGroupsAt = Number.POSITIVE_INFINITY; // no sweep while re-interning
    const map = new Int32Array(old.length).fill(-1);
    for (let s = this.#head; s >= 0; s = this.#next[s] as number) {
      const g = this.#group[s] as number;
      if (g < 0) continue;
      if (map[g] === -1) map[g] = this.#internGroups(old[g] as Record<string, string>);
      this.#group[s] = map[g] as number;
    }
    this.#sweepGroupsAt = Math.max(MIN_GROUP_SETS_BEFORE_SWEEP, 2 * this.#groups.length);
  }
}

/** One model's pending predictions column by column, as a segment stores them. */
export interface SegmentColumns {
  ids: string[];
  t: Float64Array;
  /** NaN: no score. */
  score: Float64Array;
  /** Index into `versions`. */
  version: Int32Array;
  /** Index into `groups`, -1: none. */
  group: Int32Array;
  positive: Uint8Array;
  versions: string[];
  groups: Array<Record<string, string>>;
}
