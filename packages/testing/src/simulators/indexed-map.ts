/**
 * The storage maps of the directory simulators (Google Directory, Microsoft Graph).
 *
 * Seeded entries are stored compactly (a seed index per entry) and turned into wire-shaped objects
 * only when read, so 100k users and 200k memberships fit in a few tens of MB. An entry read through
 * the public `Map` API (`get`, iteration) is materialized once and kept, so tests can mutate it in
 * place.
 */

// ---------------------------------------------------------------------------------------------
// Maps
// ---------------------------------------------------------------------------------------------

const rawGet = Map.prototype.get;
const rawSet = Map.prototype.set;
const rawDelete = Map.prototype.delete;
const rawEntries = Map.prototype.entries;

/**
 * A `Map` whose values may be stored as a seed index (a number) and built on first read. The public
 * `Map` methods always answer built values (and keep them); `peek` builds without keeping.
 */
export class LazyMap<V extends object> extends Map<string, V> {
  protected readonly make: ((seed: number) => V) | undefined;

  constructor(make?: (seed: number) => V) {
    super();
    this.make = make;
  }

  /** Stores a seed index to be built on first read. */
  setSeeded(key: string, seed: number): void {
    rawSet.call(this, key, seed);
  }

  /** The seed index of a not yet built entry, else undefined. */
  seedOf(key: string): number | undefined {
    const raw = rawGet.call(this, key);
    return typeof raw === 'number' ? raw : undefined;
  }

  protected raw(key: string): V | number | undefined {
    return rawGet.call(this, key);
  }

  /** The value, built if needed but not kept (for read-only paths such as list pages). */
  peek(key: string): V | undefined {
    const raw = rawGet.call(this, key) as V | number | undefined;
    return typeof raw === 'number' ? this.make!(raw) : raw;
  }

  override get(key: string): V | undefined {
    const raw = rawGet.call(this, key) as V | number | undefined;
    if (typeof raw !== 'number') return raw;
    const value = this.make!(raw);
    rawSet.call(this, key, value);
    return value;
  }

  override *entries(): MapIterator<[string, V]> {
    for (const [key] of rawEntries.call(this) as MapIterator<[string, unknown]>)
      yield [key, this.get(key)!];
  }

  override *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  override [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  override forEach(
    callback: (value: V, key: string, map: Map<string, V>) => void,
    thisArg?: unknown,
  ): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}

/** How an `IndexedMap` derives its sort key and lookup keys (e.g. primary email and aliases). */
export interface IndexSpec<V> {
  sortKey(value: V): string;
  lookupKeys(value: V): readonly string[];
  seedSortKey?(seed: number): string;
  seedLookupKeys?(seed: number): readonly string[];
}

/**
 * A `LazyMap` kept sorted by a sort key (lower-cased email) with a lookup index (email and aliases
 * to map key). The index is built on first use and then maintained by `set`/`delete`; it is
 * checked while reading and rebuilt when a value was changed in place.
 */
export class IndexedMap<V extends object> extends LazyMap<V> {
  private sorted: string[] | null = null;
  private lookup: Map<string, string> | null = null;
  private readonly spec: IndexSpec<V>;

  constructor(spec: IndexSpec<V>, make?: (seed: number) => V) {
    super(make);
    this.spec = spec;
  }

  private sortKeyOf(raw: V | number): string {
    return typeof raw === 'number' ? this.spec.seedSortKey!(raw) : this.spec.sortKey(raw);
  }

  private lookupKeysOf(raw: V | number): readonly string[] {
    return typeof raw === 'number' ? this.spec.seedLookupKeys!(raw) : this.spec.lookupKeys(raw);
  }

  private rebuild(): void {
    const pairs: Array<[string, string]> = [];
    const lookup = new Map<string, string>();
    for (const [key, raw] of rawEntries.call(this) as MapIterator<[string, V | number]>) {
      pairs.push([this.sortKeyOf(raw), key]);
      for (const k of this.lookupKeysOf(raw)) lookup.set(k, key);
    }
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [sk, key] of pairs) lookup.set(sk, key);
    this.sorted = pairs.map((p) => p[0]);
    this.lookup = lookup;
  }

  private ensure(): { sorted: string[]; lookup: Map<string, string> } {
    if (!this.sorted || !this.lookup) this.rebuild();
    return { sorted: this.sorted!, lookup: this.lookup! };
  }

  private index(key: string, raw: V | number): void {
    if (!this.sorted || !this.lookup) return;
    const sk = this.sortKeyOf(raw);
    const at = lowerBound(this.sorted, sk);
    if (this.sorted[at] !== sk) this.sorted.splice(at, 0, sk);
    for (const k of this.lookupKeysOf(raw)) this.lookup.set(k, key);
    this.lookup.set(sk, key);
  }

  private unindex(key: string, raw: V | number): void {
    if (!this.sorted || !this.lookup) return;
    const sk = this.sortKeyOf(raw);
    if (this.lookup.get(sk) === key) {
      const at = lowerBound(this.sorted, sk);
      if (this.sorted[at] === sk) this.sorted.splice(at, 1);
    }
    for (const k of [sk, ...this.lookupKeysOf(raw)])
      if (this.lookup.get(k) === key) this.lookup.delete(k);
  }

  override set(key: string, value: V): this {
    const old = this.raw(key);
    if (old !== undefined) this.unindex(key, old);
    rawSet.call(this, key, value);
    this.index(key, value);
    return this;
  }

  override setSeeded(key: string, seed: number): void {
    const old = this.raw(key);
    if (old !== undefined) this.unindex(key, old);
    rawSet.call(this, key, seed);
    this.index(key, seed);
  }

  override delete(key: string): boolean {
    const old = this.raw(key);
    if (old === undefined) return false;
    this.unindex(key, old);
    return rawDelete.call(this, key);
  }

  override clear(): void {
    super.clear();
    this.sorted = null;
    this.lookup = null;
  }

  /** The map key of the entry with this lookup key (lower-cased email or alias), if any. */
  find(lookupKey: string): string | undefined {
    for (let attempt = 0; attempt < 2; attempt++) {
      const key = this.ensure().lookup.get(lookupKey);
      if (key === undefined) return undefined;
      const raw = this.raw(key);
      if (
        raw !== undefined &&
        (this.sortKeyOf(raw) === lookupKey || this.lookupKeysOf(raw).includes(lookupKey))
      )
        return key;
      this.rebuild();
    }
    return undefined;
  }

  /**
   * One page in sort-key order after (or, descending, before) `after`: at most `limit` map keys
   * accepted by `filter`, and whether another accepted entry follows. Stable under concurrent
   * changes because the position is found from the last sort key, not from an offset.
   */
  page(
    after: string | undefined,
    limit: number,
    descending = false,
    filter?: (key: string) => boolean,
  ): { keys: string[]; last: string | undefined; more: boolean } {
    for (let attempt = 0; ; attempt++) {
      const { sorted, lookup } = this.ensure();
      const step = descending ? -1 : 1;
      let pos =
        after === undefined
          ? descending
            ? sorted.length - 1
            : 0
          : descending
            ? lowerBound(sorted, after) - 1
            : upperBound(sorted, after);
      const keys: string[] = [];
      let last: string | undefined;
      let more = false;
      let stale = false;
      for (; pos >= 0 && pos < sorted.length; pos += step) {
        const sk = sorted[pos]!;
        const key = lookup.get(sk);
        const raw = key === undefined ? undefined : this.raw(key);
        if (raw === undefined || this.sortKeyOf(raw) !== sk) {
          stale = true;
          break;
        }
        if (filter && !filter(key!)) continue;
        if (keys.length === limit) {
          more = true;
          break;
        }
        keys.push(key!);
        last = sk;
      }
      if (!stale || attempt > 0) return { keys, last, more };
      this.rebuild();
    }
  }
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
