/**
 * A cache of the last few results keyed by object identity, compared with `===` (no hashing).
 * The engine runs every rule on one principal before the next, so a handful of entries lets
 * the rules and the risk ranking share work on a principal without keeping one result per
 * identity alive.
 */
export class RecentCache<K extends object, V> {
  private readonly keys: (K | undefined)[];
  private readonly values: (V | undefined)[];
  private next = 0;

  constructor(size: number) {
    this.keys = new Array(size).fill(undefined);
    this.values = new Array(size).fill(undefined);
  }

  get(key: K, compute: (key: K) => V): V {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] === key) return this.values[i]!;
    }
    const value = compute(key);
    this.keys[this.next] = key;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.keys.length;
    return value;
  }
}
