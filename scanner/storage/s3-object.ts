/** S3 objects as the scanner names and writes them: `s3://bucket/key` URIs and a PutObject with its length stated. */
import { PutObjectCommand } from '@aws-sdk/client-s3';

/** Splits `s3://bucket[/path]`, checking the bucket name; undefined when it is not one. */
export function splitS3Uri(uri: string): { bucket: string; path: string } | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  return match ? { bucket: match[1]!, path: (match[2] ?? '').replace(/^\/+/, '') } : undefined;
}

/** A PutObject with its length stated, so the SDK neither guesses nor warns about streams. */
export function putObject(bucket: string, key: string, text: string, contentType: string): PutObjectCommand {
  const body = Buffer.from(text, 'utf8');
  return new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentType: contentType });
}
