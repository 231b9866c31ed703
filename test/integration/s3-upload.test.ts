import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../scanner/aws-clients';
import { COMPLETE_MARKER, parseS3Uri, S3Location, uploadCompleteSet, UploadError } from '../../scanner/output/upload-s3';
import { startS3Server, S3ServerHandle } from '../support/s3-server';

const files = [
  { name: 'report.json', contentType: 'application/json', body: '{"schemaVersion":1}\n' },
  { name: 'missing.txt', contentType: 'text/plain; charset=utf-8', body: 'nginx\n' },
];

/** Each file in turn, then the marker; a final failure names the object and cause. */
const uploadTo = (c: S3Client, location: S3Location) => uploadCompleteSet(c, location, files, { runLocation: location, now: new Date() });

describe('upload to an S3-compatible server through AWS_ENDPOINT_URL_S3', () => {
  let s3: S3ServerHandle;
  beforeAll(async () => {
    s3 = await startS3Server(['reports']);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  const env = () => ({
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });

  test('files land under the prefix with their content types', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env());
    try {
      const c = createS3Client();
      const uploaded = await uploadTo(c, parseS3Uri('s3://reports/runs/1'));
      expect(uploaded.slice(0, 2)).toEqual(['s3://reports/runs/1/report.json', 's3://reports/runs/1/missing.txt']);
      const got = await c.send(new GetObjectCommand({ Bucket: 'reports', Key: 'runs/1/missing.txt' }));
      expect(await got.Body?.transformToString()).toBe('nginx\n');
      expect(got.ContentType).toMatch(/text\/plain/);
      c.destroy();
    } finally {
      process.env = saved;
    }
  });

  test('a missing bucket is an UploadError naming the object', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env());
    try {
      const c = createS3Client();
      await expect(uploadTo(c, parseS3Uri('s3://no-such-bucket/p'))).rejects.toThrow(UploadError);
      await expect(uploadTo(c, parseS3Uri('s3://no-such-bucket/p'))).rejects.toThrow(/s3:\/\/no-such-bucket\/p\/report.json.*NoSuchBucket/);
      c.destroy();
    } finally {
      process.env = saved;
    }
  });

  test('a complete set: every file, then _complete.json naming the run, the location and the files', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, env());
    try {
      const c = createS3Client();
      const run = { executionId: 'exec-9', runLocation: parseS3Uri('s3://reports/runs/9/'), now: new Date('2026-11-23T10:00:00Z') };
      const uploaded = await uploadCompleteSet(c, parseS3Uri('s3://reports/latest/'), files, run);
      // The marker is the last object written.
      expect(uploaded).toEqual([
        's3://reports/latest/report.json',
        's3://reports/latest/missing.txt',
        `s3://reports/latest/${COMPLETE_MARKER}`,
      ]);
      const got = await c.send(new GetObjectCommand({ Bucket: 'reports', Key: `latest/${COMPLETE_MARKER}` }));
      expect(got.ContentType).toBe('application/json');
      expect(JSON.parse(await got.Body!.transformToString())).toEqual({
        schemaVersion: 1,
        completedAt: '2026-11-23T10:00:00.000Z',
        executionId: 'exec-9',
        run: 's3://reports/runs/9/',
        location: 's3://reports/latest/',
        files: [{ name: 'report.json' }, { name: 'missing.txt' }],
      });
      c.destroy();
    } finally {
      process.env = saved;
    }
  });

  test('parseS3Uri', () => {
    expect(parseS3Uri('s3://b-1')).toEqual({ bucket: 'b-1', prefix: '' });
    expect(parseS3Uri('s3://b-1/a/b/')).toEqual({ bucket: 'b-1', prefix: 'a/b/' });
    expect(() => parseS3Uri('https://b/x')).toThrow(/expected s3:\/\/bucket/);
  });
});
