/** Uploads the report files under an `s3://bucket/prefix` location. */
import { FatalError } from '../errors/fatal-error';
import { S3Client } from '@aws-sdk/client-s3';
import { putObject, splitS3Uri } from '../storage/s3-object';
import { ReportFile } from './render';

export interface S3Location {
  bucket: string;
  /** Key prefix without leading slash; '' or ending in '/'. */
  prefix: string;
}

export class UploadError extends FatalError {}

export function parseS3Uri(uri: string): S3Location {
  const parts = splitS3Uri(uri);
  if (!parts) throw new RangeError(`invalid --s3-uri "${uri}": expected s3://bucket[/prefix]`);
  let prefix = parts.path;
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket: parts.bucket, prefix };
}

export function formatS3Location(location: S3Location): string {
  return `s3://${location.bucket}/${location.prefix}`;
}

/** One object written: its URI and, in a versioned bucket, the version this upload made. */
export interface UploadedObject {
  uri: string;
  name: string;
  versionId?: string;
}

async function putFile(client: S3Client, location: S3Location, file: ReportFile): Promise<UploadedObject> {
  const key = `${location.prefix}${file.name}`;
  try {
    const put = await client.send(putObject(location.bucket, key, file.body, file.contentType));
    return { uri: `s3://${location.bucket}/${key}`, name: file.name, ...(put.VersionId ? { versionId: put.VersionId } : {}) };
  } catch (err) {
    const name = (err as { name?: string }).name ?? 'Error';
    throw new UploadError(`upload of s3://${location.bucket}/${key} failed: ${name}: ${(err as Error).message}`);
  }
}

/** Name of the object written last in every upload location. */
export const COMPLETE_MARKER = '_complete.json';

/** What `_complete.json` says: which run the files beside it belong to, and which they are. */
export interface CompleteMarker {
  schemaVersion: 1;
  completedAt: string;
  executionId?: string;
  /** The run's own folder: the first upload location. */
  run: string;
  /** Where this marker is. */
  location: string;
  /** Every file of the set, with the version this run wrote when the bucket keeps versions. */
  files: { name: string; versionId?: string }[];
}

/**
 * Uploads the files, then `_complete.json` naming them. A reader that finds the
 * marker knows the set beside it is whole; while a later run overwrites the same
 * location (latest/), the marker's version IDs still fetch exactly this run's files.
 */
export async function uploadCompleteSet(
  client: S3Client,
  location: S3Location,
  files: readonly ReportFile[],
  run: { executionId?: string; runLocation: S3Location; now: Date },
): Promise<string[]> {
  const uploaded: UploadedObject[] = [];
  for (const file of files) uploaded.push(await putFile(client, location, file));
  const marker: CompleteMarker = {
    schemaVersion: 1,
    completedAt: run.now.toISOString(),
    ...(run.executionId ? { executionId: run.executionId } : {}),
    run: formatS3Location(run.runLocation),
    location: formatS3Location(location),
    files: uploaded.map((u) => ({ name: u.name, ...(u.versionId ? { versionId: u.versionId } : {}) })),
  };
  const written = await putFile(client, location, {
    name: COMPLETE_MARKER,
    contentType: 'application/json',
    body: `${JSON.stringify(marker, null, 2)}\n`,
  });
  return [...uploaded.map((u) => u.uri), written.uri];
}
