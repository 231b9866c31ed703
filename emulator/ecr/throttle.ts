/**
 * Throttling for the ECR emulator. Real ECR answers over-quota calls with
 * ThrottlingException; tests need both a reproducible pattern (every Nth call)
 * and a realistic rate limit (token bucket) to check that clients retry.
 */

export interface ThrottleOptions {
  /** Token bucket refill rate. Absent: no rate limit. */
  ratePerSecond?: number;
  /** Bucket size, i.e. calls allowed at once after a pause. Default: max(1, ratePerSecond). */
  burst?: number;
  /** Every Nth counted call is throttled (N, 2N, ...), whatever the rate. */
  everyNth?: number;
  /** Operations the throttle applies to. Default: all. */
  operations?: readonly string[];
}

export class Throttle {
  private tokens: number;
  private lastRefill: number;
  private counted = 0;

  constructor(
    private readonly options: ThrottleOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
      throw new Error(`ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    }
    if (options.everyNth !== undefined && !(Number.isInteger(options.everyNth) && options.everyNth >= 1)) {
      throw new Error(`everyNth must be an integer >= 1, got ${options.everyNth}`);
    }
    this.tokens = this.capacity();
    this.lastRefill = this.now();
  }

  private capacity(): number {
    return this.options.burst ?? Math.max(1, this.options.ratePerSecond ?? 1);
  }

  /** Decides one call; each call is counted once, so a retried call gets a fresh decision. */
  shouldThrottle(operation: string): boolean {
    const ops = this.options.operations;
    if (ops && !ops.includes(operation)) return false;
    this.counted++;
    // The bucket is consulted even when everyNth fires, so the two limits stay independent.
    const limited = this.takeToken();
    const nth = this.options.everyNth !== undefined && this.counted % this.options.everyNth === 0;
    return limited || nth;
  }

  private takeToken(): boolean {
    const rate = this.options.ratePerSecond;
    if (rate === undefined) return false;
    const now = this.now();
    this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return false;
    }
    return true;
  }
}

/**
 * ECR's quotas are per account and region: one bucket per registry, made on its first call
 * (so a bad setting fails that call, not the setter). A new setting, or rewind(), starts every
 * bucket afresh.
 */
export class RegistryThrottles {
  private buckets = new Map<string, Throttle>();

  constructor(private options: ThrottleOptions | undefined) {}

  configure(options: ThrottleOptions | undefined): void {
    this.options = options;
    this.rewind();
  }

  rewind(): void {
    this.buckets = new Map();
  }

  /** The bucket of one registry (`account/region`); undefined when nothing is throttled. */
  of(registry: string): Throttle | undefined {
    if (!this.options) return undefined;
    let made = this.buckets.get(registry);
    if (!made) this.buckets.set(registry, (made = new Throttle(this.options)));
    return made;
  }
}
