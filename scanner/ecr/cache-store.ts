/**
 * Where the digest cache lives: a local file for the CLI, an S3 object in the
 * pipeline. It is an optimisation, so every failure here is a warning.
 */
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { putObject, splitS3Uri } from '../storage/s3-object';
import { writeFileAtomic } from '../storage/atomic-file';
import { LoadedCache, MemoryDigestCache, parseDigestCache } from './digest-cache';

/** Large registries give caches of tens of megabytes; past this it is not ours. */
const CACHE_MAX_BYTES = 512 * 1024 * 1024;

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

async function readText(location: CacheLocation, s3: () => S3Client): Promise<string | undefined> {
  if (location.kind === 'file') {
    try {
      return await readFile(location.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  try {
    const response = await s3().send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    if ((response.ContentLength ?? 0) > CACHE_MAX_BYTES) throw new Error(`object is over ${CACHE_MAX_BYTES} bytes`);
    return await response.Body?.transformToString('utf8');
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

export async function loadCache(location: CacheLocation, s3: () => S3Client): Promise<LoadedCache> {
  const where = describeCacheLocation(location);
  try {
    return parseDigestCache(await readText(location, s3), where);
  } catch (err) {
    // Without s3:ListBucket, S3 answers a missing object with AccessDenied, so on a first run that is expected.
    const denied = location.kind === 's3' && (err as { name?: string }).name === 'AccessDenied';
    const why = denied ? 'AccessDenied: not created yet, or not readable by this role' : (err as Error).message;
    return { cache: new MemoryDigestCache(), warnings: [`cannot read digest cache ${where} (${why}); starting a new one`] };
  }
}

/** Returns a warning when the cache could not be saved. */
export async function saveCache(location: CacheLocation, cache: MemoryDigestCache, s3: () => S3Client): Promise<string | undefined> {
  if (!cache.needsSave) return undefined;
  const body = cache.serialize();
  try {
    if (location.kind === 'file') await writeFileAtomic(location.path, body);
    else await s3().send(putObject(location.bucket, location.key, body, 'application/json'));
    return undefined;
  } catch (err) {
    return `cannot save digest cache ${describeCacheLocation(location)}: ${(err as Error).message}`;
  }
}
