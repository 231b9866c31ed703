/**
 * Where the digest cache lives: a local file for the CLI, an S3 object in the
 * pipeline. It is an optimisation, so every failure here is a warning. Both
 * directions stream: a million entries are about 170 MB of text, which must
 * never be one string in a 1 GB build.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { awsErrorName, classifyAwsError } from '../errors/aws-error';
import { splitS3Uri } from '../storage/s3-object';
import { DigestCacheReader, LoadedCache, serializeDigestCache } from './digest-cache';
import { ManifestTable } from './manifest-table';

/** Large registries give caches of a few hundred megabytes; past this it is not ours. */
const CACHE_MAX_BYTES = 1024 * 1024 * 1024;
/** S3 multipart parts: at least 5 MiB except the last; 8 MiB keeps memory small and parts few. */
const PART_BYTES = 8 * 1024 * 1024;

export type CacheLocation = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; key: string };

export function parseCacheLocation(value: string): CacheLocation {
  if (value.startsWith('s3://')) {
    const parts = splitS3Uri(value);
    if (!parts || parts.path === '' || parts.path.endsWith('/')) {
      throw new RangeError(`invalid --cache "${value}": expected s3://bucket/key (an object, not a prefix)`);
    }
    return { kind: 's3', bucket: parts.bucket, key: parts.path };
  }
  if (value.trim() === '') throw new RangeError('--cache needs a file path or s3://bucket/key');
  return { kind: 'file', path: value };
}

export function describeCacheLocation(location: CacheLocation): string {
  return location.kind === 'file' ? location.path : `s3://${location.bucket}/${location.key}`;
}

/** The stored cache as a byte stream, or undefined when there is none yet. */
async function openStream(location: CacheLocation, s3: () => S3Client): Promise<Readable | undefined> {
  if (location.kind === 'file') {
    try {
      const info = await stat(location.path);
      if (info.size > CACHE_MAX_BYTES) throw new Error(`file is over ${CACHE_MAX_BYTES} bytes`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    // Large reads: the reader takes whole runs of lines per chunk.
    return createReadStream(location.path, { highWaterMark: 1024 * 1024 });
  }
  try {
    const response = await s3().send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    if ((response.ContentLength ?? 0) > CACHE_MAX_BYTES) throw new Error(`object is over ${CACHE_MAX_BYTES} bytes`);
    if (response.Body instanceof Readable) return response.Body;
    // A body that is not a Node stream: read whole, and handed on as one Buffer, as a stream's chunks are.
    const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    return Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
  } catch (err) {
    // NoSuchKey: no cache yet.
    if (classifyAwsError(err) === 'not-found') return undefined;
    throw err;
  }
}

export async function loadCache(location: CacheLocation, s3: () => S3Client): Promise<LoadedCache> {
  const where = describeCacheLocation(location);
  try {
    const reader = new DigestCacheReader(where);
    const stream = await openStream(location, s3);
    if (stream) {
      for await (const chunk of stream as AsyncIterable<Buffer>) reader.push(chunk);
    }
    return reader.end();
  } catch (err) {
    // Without s3:ListBucket, S3 answers a missing object with AccessDenied, so on a first run that is expected.
    const denied = location.kind === 's3' && classifyAwsError(err) === 'denied';
    const why = denied ? `${awsErrorName(err)}: not created yet, or not readable by this role` : (err as Error).message;
    return { cache: new ManifestTable(), warnings: [`cannot read digest cache ${where} (${why}); starting a new one`] };
  }
}

/** Writes to a temporary file beside the target and renames it, so a reader never sees half a cache. */
async function saveFile(path: string, table: ManifestTable): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const out = createWriteStream(temp, { mode: 0o644 });
  try {
    for (const chunk of serializeDigestCache(table)) if (!out.write(chunk)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    await rename(temp, path);
  } catch (err) {
    out.destroy();
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * lib-storage's Upload: one PutObject when the cache fits one part, else a
 * multipart upload that it aborts on failure. One part in flight at a time, so
 * at most a part or two of the stream is in memory.
 */
async function saveS3(client: S3Client, bucket: string, key: string, table: ManifestTable): Promise<void> {
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: Readable.from(serializeDigestCache(table)), ContentType: 'application/x-ndjson' },
    partSize: PART_BYTES,
    queueSize: 1,
    leavePartsOnError: false,
  });
  await upload.done();
}

/** Returns a warning when the cache could not be saved. */
export async function saveCache(location: CacheLocation, cache: ManifestTable, s3: () => S3Client): Promise<string | undefined> {
  if (!cache.needsSave) return undefined;
  try {
    if (location.kind === 'file') await saveFile(location.path, cache);
    else await saveS3(s3(), location.bucket, location.key, cache);
    return undefined;
  } catch (err) {
    return `cannot save digest cache ${describeCacheLocation(location)}: ${(err as Error).message}`;
  }
}
