/**
 * Docker Hub's pull allowance as its `RateLimit-Limit` / `RateLimit-Remaining`
 * headers tell it (`100;w=21600`: 100 pulls a 6-hour window), and whether a
 * 429 means "slow down" (retry) or "nothing left" (stop asking this run).
 */
import { parseRetryAfter } from './http';

export interface RateLimit {
  limit: number;
  remaining: number;
  /** The window in seconds, when the registry names it. */
  windowSeconds?: number;
}

function parseQuota(value: string | null): { count: number; window?: number } | undefined {
  if (value === null) return undefined;
  const match = /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(value);
  if (!match) return undefined;
  return { count: Number(match[1]), ...(match[2] !== undefined ? { window: Number(match[2]) } : {}) };
}

export function parseRateLimit(headers: Headers): RateLimit | undefined {
  const limit = parseQuota(headers.get('ratelimit-limit'));
  const remaining = parseQuota(headers.get('ratelimit-remaining'));
  if (!limit || !remaining) return undefined;
  const windowSeconds = limit.window ?? remaining.window;
  return { limit: limit.count, remaining: remaining.count, ...(windowSeconds !== undefined ? { windowSeconds } : {}) };
}

/** A 429 whose headers say the allowance is spent: retrying within this run cannot succeed. */
export function isAllowanceSpent(status: number, headers: Headers): boolean {
  return status === 429 && parseRateLimit(headers)?.remaining === 0;
}

/** "resets in 3 h 20 min" from Retry-After, else from the window the registry announced. */
export function describeReset(headers: Headers, limit: RateLimit | undefined, now = Date.now()): string {
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
  const seconds = retryAfterMs !== undefined ? Math.ceil(retryAfterMs / 1000) : limit?.windowSeconds;
  if (seconds === undefined) return 'the registry did not say when it resets';
  const at = new Date(now + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return retryAfterMs !== undefined ? `it resets at ${at}` : `it resets within ${seconds} s (by ${at})`;
}
