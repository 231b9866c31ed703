/** A real S3-compatible server (s3rver) on 127.0.0.1, for the upload path of the scanner. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';

// s3rver ships no types; this is the part of its API the tests use.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: Array<{ name: string }>;
}) => S3rverInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- s3rver ships no types; the constructor type above stands in
const S3rver = require('s3rver') as S3rverConstructor;
// s3rver verifies SigV4 signatures against its own key registry; adding our
// (sentinel) test keys there keeps signature checking on.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of s3rver, typed just above
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

export interface S3ServerHandle {
  endpoint: string;
  directory: string;
  stop(): Promise<void>;
}

export async function startS3Server(
  buckets: string[],
  accessKeys: Array<{ accessKeyId: string; secretAccessKey: string }> = [],
): Promise<S3ServerHandle> {
  for (const key of accessKeys) DUMMY_ACCOUNT.createKeyPair(key.accessKeyId, key.secretAccessKey);
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    directory,
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
