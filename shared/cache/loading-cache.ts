export interface LoadingCacheOptions<K, V> {
  /** How long a loaded value is fresh. */
  ttlMs: number;
  /** A different freshness for some values (a short one for "not found", say). */
  ttlFor?(value: V): number;
  load(key: K): Promise<V>;
  /** When a refresh fails, keep answering with the last good value (and retry after `retryAfterMs`). */
  serveStaleOnError?: boolean;
  /** After a failed refresh with a stale value served, how long to wait before trying the source again. */
  retryAfterMs?: number;
  /** Called when a stale value is served because the source failed. */
  onStale?(key: K, error: unknown): void;
  /** Largest number of keys kept; the oldest entry is dropped first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry<V> {
  value?: V;
  hasValue: boolean;
  loadedAt: number;
  ttlMs: number;
  retryAt: number;
  inflight?: Promise<V>;
}

/**
 * An in-memory cache with a TTL, one load in flight per key (concurrent callers share it), and optional
 * serve-stale-on-error. Keys are compared by identity (use strings).
 */
export class LoadingCache<K, V> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #options: LoadingCacheOptions<K, V>;
  readonly #now: () => number;

  constructor(options: LoadingCacheOptions<K, V>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get(key: K): Promise<V> {
    const now = this.#now();
    const entry = this.#entries.get(key);
    if (entry?.hasValue && now - entry.loadedAt < entry.ttlMs) return Promise.resolve(entry.value as V);
    if (entry?.inflight) return entry.inflight;
    if (entry?.hasValue && now < entry.retryAt) return Promise.resolve(entry.value as V);
    return this.#refresh(key, entry);
  }

  /** Forgets one key (or all), so the next `get` loads again. */
  invalidate(key?: K): void {
    if (key === undefined) this.#entries.clear();
    else this.#entries.delete(key);
  }

  #refresh(key: K, previous: Entry<V> | undefined): Promise<V> {
    const entry: Entry<V> = previous ?? { hasValue: false, loadedAt: 0, ttlMs: 0, retryAt: 0 };
    if (!previous) this.#remember(key, entry);
    const inflight = this.#options.load(key).then(
      (value) => {
        entry.value = value;
        entry.hasValue = true;
        entry.loadedAt = this.#now();
        entry.ttlMs = this.#options.ttlFor?.(value) ?? this.#options.ttlMs;
        entry.retryAt = 0;
        entry.inflight = undefined;
        return value;
      },
      (error: unknown) => {
        entry.inflight = undefined;
        if (entry.hasValue && this.#options.serveStaleOnError) {
          entry.retryAt = this.#now() + (this.#options.retryAfterMs ?? 1_000);
          this.#options.onStale?.(key, error);
          return entry.value as V;
        }
        if (!entry.hasValue && this.#entries.get(key) === entry) this.#entries.delete(key);
        throw error;
      },
    );
    entry.inflight = inflight;
    return inflight;
  }

  #remember(key: K, entry: Entry<V>): void {
    const max = this.#options.maxEntries;
    if (max !== undefined && this.#entries.size >= max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, entry);
  }
}
