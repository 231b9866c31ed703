/** Uploads the report files under an `s3://bucket/prefix` location. */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReportFile } from './render';

export interface S3Location {
  bucket: string;
  /** Key prefix without leading slash; '' or ending in '/'. */
  prefix: string;
}

export class UploadError extends Error {}

/** Splits `s3://bucket[/path]`, checking the bucket name; undefined when it is not one. */
export function splitS3Uri(uri: string): { bucket: string; path: string } | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  return match ? { bucket: match[1]!, path: (match[2] ?? '').replace(/^\/+/, '') } : undefined;
}

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

/** A PutObject with its length stated, so the SDK neither guesses nor warns about streams. */
export function putObject(bucket: string, key: string, text: string, contentType: string): PutObjectCommand {
  const body = Buffer.from(text, 'utf8');
  return new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentType: contentType });
}

/** Uploads each file (the SDK retries transient failures); a final failure names the object and cause. */
export async function uploadReportFiles(client: S3Client, location: S3Location, files: readonly ReportFile[]): Promise<string[]> {
  const uploaded: string[] = [];
  for (const file of files) {
    const key = `${location.prefix}${file.name}`;
    try {
      await client.send(putObject(location.bucket, key, file.body, file.contentType));
    } catch (err) {
      const name = (err as { name?: string }).name ?? 'Error';
      throw new UploadError(`upload of s3://${location.bucket}/${key} failed: ${name}: ${(err as Error).message}`);
    }
    uploaded.push(`s3://${location.bucket}/${key}`);
  }
  return uploaded;
}
