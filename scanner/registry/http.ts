/**
 * One GET or HEAD against a registry or token server, with what every call needs:
 * a timeout, a cap on the bytes read, retries with backoff on 429/5xx and
 * broken connections, and redirects that never carry credentials to another
 * origin or down to plain HTTP.
 */
import { ErrorKind, ScanError } from '../errors/scan-error';

export interface RetryPolicy {
  /** Total attempts, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 20_000 };

export interface HttpOptions {
  /** GET unless told; HEAD reads no body. */
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
  retry?: RetryPolicy;
  /** Decides whether a URL reached by redirect may be fetched; the first URL was checked by the caller. */
  allowUrl?: (url: URL) => boolean;
  /** Called once per request sent (retries included, redirect hops not): registries count requests, so do we. */
  onAttempt?: () => void;
  /** Called on every response before a retry is considered; true stops retrying and returns it (a spent pull allowance). */
  isFinal?: (response: HttpResponse) => boolean;
  /** Called before each retry, for progress logs. */
  onRetry?: (info: { url: string; attempt: number; delayMs: number; reason: string }) => void;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

export type HttpErrorKind = Extract<ErrorKind, 'timeout' | 'network' | 'dns' | 'tls' | 'too-large' | 'redirect'>;

/** A request that got no usable response; the kind says why. */
export class HttpError extends ScanError {
  constructor(message: string, kind: HttpErrorKind, cause?: unknown) {
    super(message, kind, { cause });
  }
}

const MAX_REDIRECTS = 5;
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoff(policy: RetryPolicy, attempt: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

const CONNECTION_PHRASES: Readonly<Record<string, string>> = {
  ECONNRESET: 'the connection was reset by the server (ECONNRESET)',
  ECONNREFUSED: 'the connection was refused (ECONNREFUSED): is the registry running on that port?',
  EPIPE: 'the connection was closed while sending (EPIPE)',
  UND_ERR_SOCKET: 'the connection closed before the response was complete (response cut short)',
  ETIMEDOUT: 'the connection timed out (ETIMEDOUT)',
  EHOSTUNREACH: 'the host is unreachable (EHOSTUNREACH)',
};

function describeNetworkError(err: unknown, url: URL, timeoutMs: number): HttpError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code ?? '';
  if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') {
    return new HttpError(`request to ${url.host} timed out after ${timeoutMs / 1000} s`, 'timeout', err);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new HttpError(`registry host ${url.hostname} does not resolve (DNS ${code})`, 'dns', err);
  }
  if (/CERT|SELF_SIGNED|TLS|SSL/.test(code)) {
    return new HttpError(`TLS verification failed for ${url.host}: ${code}`, 'tls', err);
  }
  const detail = CONNECTION_PHRASES[code] ?? (code || cause?.message || (err as Error).message);
  return new HttpError(`connection to ${url.host} failed: ${detail}`, 'network', err);
}

/** Reads at most maxBytes; a larger body is an error rather than a memory risk. */
async function readBounded(response: Response, maxBytes: number, url: URL): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new HttpError(`response from ${url.host} is ${declared} bytes, over the ${maxBytes}-byte limit`, 'too-large');
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new HttpError(`response from ${url.host} is over the ${maxBytes}-byte limit`, 'too-large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

async function fetchOnce(start: URL, options: HttpOptions): Promise<HttpResponse> {
  const headers = { ...options.headers };
  let url = start;
  const signal = AbortSignal.timeout(options.timeoutMs);
  for (let hop = 0; ; hop++) {
    let response: Response;
    try {
      response = await fetch(url, { method: options.method ?? 'GET', headers, redirect: 'manual', signal });
    } catch (err) {
      throw describeNetworkError(err, url, options.timeoutMs);
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new HttpError(`too many redirects from ${start.host}`, 'redirect');
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new HttpError(`redirect to unsupported scheme ${next.protocol}`, 'redirect');
      }
      if (options.allowUrl && !options.allowUrl(next)) {
        throw new HttpError(
          `refused redirect from ${url.host} to ${next.protocol}//${next.host}: plain HTTP is only used for loopback and --insecure-registry hosts`,
          'redirect',
        );
      }
      // Credentials are for the origin that asked for them (blob storage behind a registry has its own signed URLs).
      if (next.origin !== url.origin) {
        for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
      }
      url = next;
      continue;
    }
    if (options.method === 'HEAD') {
      await response.body?.cancel();
      return { status: response.status, headers: response.headers, body: Buffer.alloc(0), url: url.toString() };
    }
    try {
      const body = await readBounded(response, options.maxBytes, url);
      return { status: response.status, headers: response.headers, body, url: url.toString() };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw describeNetworkError(err, url, options.timeoutMs);
    }
  }
}

function retryable(err: unknown): boolean {
  return err instanceof HttpError && (err.kind === 'network' || err.kind === 'timeout');
}

/** GET or HEAD with retries. A retryable status that persists is returned as the last response, for the caller to explain. */
export async function httpRequest(url: URL, options: HttpOptions): Promise<HttpResponse> {
  const policy = options.retry ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    let delayMs: number;
    let reason: string;
    try {
      options.onAttempt?.();
      const response = await fetchOnce(url, options);
      if (!RETRYABLE_STATUS.has(response.status) || attempt >= policy.maxAttempts || options.isFinal?.(response)) return response;
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      delayMs = retryAfter !== undefined ? Math.min(retryAfter, policy.maxDelayMs) : backoff(policy, attempt);
      reason = `HTTP ${response.status}`;
    } catch (err) {
      if (!retryable(err) || attempt >= policy.maxAttempts) throw err;
      delayMs = backoff(policy, attempt);
      reason = (err as Error).message;
    }
    options.onRetry?.({ url: `${url.origin}${url.pathname}`, attempt, delayMs, reason });
    await sleep(delayMs);
  }
}
