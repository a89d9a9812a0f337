/*
 * What a rate-limit store is: it counts hits per key in fixed windows (rateLimitStores.ts chooses
 * and implements the stores; redisRateLimitStore.ts is the Redis one). Apart from them so that
 * each store depends on the interface and not on the module that chooses among them.
 */

export type RateLimitStoreKind = 'redis' | 'database' | 'memory';

export interface WindowCount {
  /** Hits on the key in the current window, this one included. */
  count: number;
  /** Milliseconds until the window ends. */
  resetMs: number;
}

export interface RateLimitStoreHealth {
  store: RateLimitStoreKind;
  /** False while the store cannot count (Redis unreachable): requests are then let through. */
  counting: boolean;
}

export interface RateLimitStore {
  readonly kind: RateLimitStoreKind;
  /**
   * Counts one hit on `key`. Undefined when the store cannot count right now and the request
   * is to be let through uncounted (only the Redis store fails open, see redisRateLimitStore.ts).
   */
  hit(key: string, windowMs: number): Promise<WindowCount | undefined>;
  health(): RateLimitStoreHealth;
  close(): Promise<void>;
}
