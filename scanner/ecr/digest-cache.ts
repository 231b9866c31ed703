/**
 * The digest cache: ECR manifest digest -> what the inventory needs of it.
 * Manifests are content-addressed, so an entry can never go stale; what can
 * go wrong is the file itself. It carries a format tag and a checksum of its
 * entries, and every entry is validated, so a corrupt, truncated or foreign
 * file is ignored (costing time, never changing an answer).
 */
import { createHash } from 'node:crypto';
import { DigestCache } from './inventory';
import { ManifestSummary } from './manifest-summary';

const FORMAT = 'ecr-duplicate-scanner/digest-cache';
const VERSION = 1;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

/** Compact on disk: 100,000 entries stay a few megabytes. */
type StoredEntry = { i: string } | { x: string[] } | { o: string };

interface CacheFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  checksum: string;
  entries: Record<string, StoredEntry>;
}

export interface LoadedCache {
  cache: MemoryDigestCache;
  /** Why the stored cache was not (fully) used; empty when it was. */
  warnings: string[];
}

function toStored(summary: ManifestSummary): StoredEntry {
  switch (summary.kind) {
    case 'image':
      return { i: summary.imageId };
    case 'index':
      return { x: summary.children };
    default:
      return { o: summary.reason };
  }
}

function fromStored(entry: unknown): ManifestSummary | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  if (typeof e.i === 'string' && DIGEST_RE.test(e.i)) return { kind: 'image', imageId: e.i };
  if (Array.isArray(e.x) && e.x.every((d) => typeof d === 'string' && DIGEST_RE.test(d))) return { kind: 'index', children: e.x as string[] };
  if (typeof e.o === 'string') return { kind: 'other', reason: e.o };
  return undefined;
}

function checksumOf(entries: Record<string, StoredEntry>): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(entries)).digest('hex')}`;
}

export class MemoryDigestCache implements DigestCache {
  private readonly entries = new Map<string, ManifestSummary>();
  private readonly used = new Set<string>();
  private added = 0;

  get size(): number {
    return this.entries.size;
  }

  get(digest: string): ManifestSummary | undefined {
    const summary = this.entries.get(digest);
    if (summary) this.used.add(digest);
    return summary;
  }

  set(digest: string, summary: ManifestSummary): void {
    if (!DIGEST_RE.test(digest)) return;
    if (!this.entries.has(digest)) this.added++;
    this.entries.set(digest, summary);
    this.used.add(digest);
  }

  load(digest: string, summary: ManifestSummary): void {
    this.entries.set(digest, summary);
  }

  /**
   * Serialises the entries this run touched: digests that left the registry
   * drop out, so the cache stays the size of the registry.
   */
  serialize(): string {
    const entries: Record<string, StoredEntry> = {};
    for (const digest of [...this.used].sort()) {
      const summary = this.entries.get(digest);
      if (summary) entries[digest] = toStored(summary);
    }
    const file: CacheFile = { format: FORMAT, version: VERSION, checksum: checksumOf(entries), entries };
    return JSON.stringify(file);
  }

  /** True when saving would change the stored file: new entries, or entries to drop. */
  get needsSave(): boolean {
    return this.added > 0 || this.used.size !== this.entries.size;
  }
}

export function parseDigestCache(text: string | undefined, where: string): LoadedCache {
  const cache = new MemoryDigestCache();
  if (text === undefined || text === '') return { cache, warnings: [] };
  const ignore = (why: string): LoadedCache => ({ cache, warnings: [`digest cache ${where} ignored (${why}); it will be rebuilt`] });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return ignore('not valid JSON, perhaps truncated');
  }
  const file = doc as Partial<CacheFile>;
  if (typeof doc !== 'object' || doc === null || file.format !== FORMAT) return ignore('not a digest cache file');
  if (file.version !== VERSION) return ignore(`format version ${String(file.version)}, expected ${VERSION}`);
  if (typeof file.entries !== 'object' || file.entries === null) return ignore('no entries');
  if (file.checksum !== checksumOf(file.entries)) return ignore('checksum mismatch: the file was changed or damaged');
  let invalid = 0;
  for (const [digest, entry] of Object.entries(file.entries)) {
    const summary = DIGEST_RE.test(digest) ? fromStored(entry) : undefined;
    if (summary) cache.load(digest, summary);
    else invalid++;
  }
  return { cache, warnings: invalid > 0 ? [`digest cache ${where}: ${invalid} invalid entries ignored`] : [] };
}
