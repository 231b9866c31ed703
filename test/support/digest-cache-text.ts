/** A digest cache read from a string: the streaming reader fed one chunk, for tests. */
import { DigestCacheReader, LoadedCache } from '../../scanner/ecr/digest-cache';

/** Parses a whole cache held as text (tests, small files); loadCache streams instead. */
export function parseDigestCache(text: string | undefined, where: string): LoadedCache {
  const reader = new DigestCacheReader(where);
  if (text !== undefined && text !== '') reader.push(Buffer.from(text, 'utf8'));
  return reader.end();
}
