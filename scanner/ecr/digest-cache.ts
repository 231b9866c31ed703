/**
 * The digest cache: ECR manifest digest -> what the inventory needs of it.
 * Manifests are content-addressed, so an entry can never go stale; what can
 * go wrong is the file itself. It carries a format tag and a checksum of its
 * entries, and every entry is validated, so a corrupt, truncated or foreign
 * file is ignored (costing time, never changing an answer).
 */
import { createHash } from 'node:crypto';
import { DigestCache } from './inventory';
import { IndexChild, ManifestSummary } from './manifest-summary';
import { isVerifiableDigest } from '../oci/digest';

const FORMAT = 'ecr-duplicate-scanner/digest-cache';
const VERSION = 1;

/**
 * On disk: a header line, then the entries as one JSON object on the second
 * line. The header's checksum covers the entries' exact bytes, so checking it
 * needs no re-serialisation. An image is stored as its image ID string, an
 * index as the array of its children, anything else as `{ "o": reason }`:
 * 100,000 entries stay around 10 MB.
 */
interface CacheHeader {
  format: typeof FORMAT;
  version: typeof VERSION;
  entries: number;
  checksum: string;
}

/** An index child as stored: its digest alone, or with what the index says of it. */
type StoredChild = string | { d: string; p?: string; a?: 1 };
type StoredEntry = string | StoredChild[] | { i: string; p: string } | { o: string };

export interface LoadedCache {
  cache: MemoryDigestCache;
  /** Why the stored cache was not (fully) used; empty when it was. */
  warnings: string[];
}

function toStored(summary: ManifestSummary): StoredEntry {
  switch (summary.kind) {
    case 'image':
      return summary.platform === undefined ? summary.imageId : { i: summary.imageId, p: summary.platform };
    case 'index':
      return summary.children.map((c) =>
        c.platform === undefined && !c.attestation
          ? c.digest
          : { d: c.digest, ...(c.platform !== undefined ? { p: c.platform } : {}), ...(c.attestation ? { a: 1 as const } : {}) },
      );
    default:
      return { o: summary.reason };
  }
}

function fromStored(entry: unknown): ManifestSummary | undefined {
  if (typeof entry === 'string') return isVerifiableDigest(entry) ? { kind: 'image', imageId: entry } : undefined;
  if (Array.isArray(entry)) {
    const children: IndexChild[] = [];
    for (const c of entry as unknown[]) {
      const child = childFromStored(c);
      if (!child) return undefined;
      children.push(child);
    }
    return { kind: 'index', children };
  }
  const { i, p } = (typeof entry === 'object' && entry !== null ? entry : {}) as { i?: unknown; p?: unknown };
  if (typeof i === 'string' && isVerifiableDigest(i) && typeof p === 'string' && PLATFORM.test(p))
    return { kind: 'image', imageId: i, platform: p };
  if (typeof entry === 'object' && entry !== null && typeof (entry as { o?: unknown }).o === 'string') {
    return { kind: 'other', reason: (entry as { o: string }).o };
  }
  return undefined;
}

const PLATFORM = /^[a-z0-9_.-]+(?:\/[a-z0-9_.-]+){1,2}$/;

function childFromStored(entry: unknown): IndexChild | undefined {
  if (typeof entry === 'string') return isVerifiableDigest(entry) ? { digest: entry } : undefined;
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { d, p, a } = entry as { d?: unknown; p?: unknown; a?: unknown };
  if (typeof d !== 'string' || !isVerifiableDigest(d)) return undefined;
  if (p !== undefined && (typeof p !== 'string' || !PLATFORM.test(p))) return undefined;
  return { digest: d, ...(typeof p === 'string' ? { platform: p } : {}), ...(a === 1 ? { attestation: true as const } : {}) };
}

function checksumOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

interface CacheSlot {
  summary: ManifestSummary;
  /** Asked for or learned this run; only these are saved. */
  used: boolean;
}

export class MemoryDigestCache implements DigestCache {
  private readonly slots = new Map<string, CacheSlot>();
  private added = 0;
  private usedCount = 0;

  get size(): number {
    return this.slots.size;
  }

  get(digest: string): ManifestSummary | undefined {
    const slot = this.slots.get(digest);
    if (!slot) return undefined;
    if (!slot.used) {
      slot.used = true;
      this.usedCount++;
    }
    return slot.summary;
  }

  set(digest: string, summary: ManifestSummary): void {
    const slot = this.slots.get(digest);
    if (slot) {
      // ECR's copy names no platform; a source's config read earlier did, and that must not be lost.
      const known = slot.summary;
      slot.summary =
        summary.kind === 'image' && summary.platform === undefined && known.kind === 'image' && known.platform !== undefined
          ? { ...summary, platform: known.platform }
          : summary;
      if (!slot.used) this.usedCount++;
      slot.used = true;
      return;
    }
    this.added++;
    this.usedCount++;
    this.slots.set(digest, { summary, used: true });
  }

  load(digest: string, summary: ManifestSummary): void {
    this.slots.set(digest, { summary, used: false });
  }

  /**
   * Serialises the entries this run touched: digests that left the registry
   * drop out, so the cache stays the size of the registry. Built as one
   * string: an object with 100,000 keys is far slower to assemble and stringify.
   */
  serialize(): string {
    const parts: string[] = [];
    for (const [digest, slot] of this.slots) {
      if (slot.used) parts.push(`${JSON.stringify(digest)}:${JSON.stringify(toStored(slot.summary))}`);
    }
    const body = `{${parts.join(',')}}`;
    const header: CacheHeader = { format: FORMAT, version: VERSION, entries: parts.length, checksum: checksumOf(body) };
    return `${JSON.stringify(header)}\n${body}\n`;
  }

  /** True when saving would change the stored file: new entries, or entries to drop. */
  get needsSave(): boolean {
    return this.added > 0 || this.usedCount !== this.slots.size;
  }
}

export function parseDigestCache(text: string | undefined, where: string): LoadedCache {
  const cache = new MemoryDigestCache();
  if (text === undefined || text === '') return { cache, warnings: [] };
  const ignore = (why: string): LoadedCache => ({ cache, warnings: [`digest cache ${where} ignored (${why}); it will be rebuilt`] });
  const newline = text.indexOf('\n');
  let header: Partial<CacheHeader>;
  try {
    header = JSON.parse(newline === -1 ? text : text.slice(0, newline)) as Partial<CacheHeader>;
  } catch {
    return ignore('not valid JSON, perhaps truncated');
  }
  if (typeof header !== 'object' || header === null || header.format !== FORMAT) return ignore('not a digest cache file');
  if (header.version !== VERSION) return ignore(`format version ${String(header.version)}, expected ${VERSION}`);
  const body = newline === -1 ? '' : text.slice(newline + 1).replace(/\n$/, '');
  if (header.checksum !== checksumOf(body)) return ignore('checksum mismatch: the file was changed, damaged or truncated');
  let entries: unknown;
  try {
    entries = JSON.parse(body);
  } catch {
    return ignore('entries are not valid JSON');
  }
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) return ignore('no entries');
  let invalid = 0;
  // Keys need no check: a malformed one is simply never looked up. Values decide answers, so they are validated.
  const record = entries as Record<string, unknown>;
  for (const digest in record) {
    const summary = fromStored(record[digest]);
    if (summary) cache.load(digest, summary);
    else invalid++;
  }
  return { cache, warnings: invalid > 0 ? [`digest cache ${where}: ${invalid} invalid entries ignored`] : [] };
}
