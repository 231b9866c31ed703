/** The SNS stand-in against two clients: the SDK the scanner uses, and Debian's aws CLI. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FAKE_AWS, FAKE_AWS_KEYS, runProcess } from '../support/run-cli';
import { SnsServerHandle, startSnsServer } from '../support/sns-server';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:scan-summary';
const AWS_CLI = '/usr/bin/aws';
let sns: SnsServerHandle;

beforeAll(async () => {
  sns = await startSnsServer();
});
afterAll(async () => {
  await sns?.stop();
});

test('the SDK publishes and gets the MessageId back', async () => {
  const client = new SNSClient({ endpoint: sns.endpoint, region: 'us-east-1', credentials: FAKE_AWS_KEYS });
  const out = await client.send(new PublishCommand({ TopicArn: TOPIC, Subject: 'Hello', Message: 'line 1\nline 2 & <3>' }));
  client.destroy();
  const last = sns.published.at(-1)!;
  expect(out.MessageId).toBe(last.messageId);
  expect(last).toMatchObject({ topicArn: TOPIC, subject: 'Hello', message: 'line 1\nline 2 & <3>', signed: true });
});

test('an error answer reaches the SDK as that error', async () => {
  sns.failWith('AuthorizationError');
  try {
    const client = new SNSClient({ endpoint: sns.endpoint, region: 'us-east-1', credentials: FAKE_AWS_KEYS, maxAttempts: 1 });
    await expect(client.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x' }))).rejects.toMatchObject({
      name: 'AuthorizationErrorException',
    });
    client.destroy();
  } finally {
    sns.failWith(undefined);
  }
});

(existsSync(AWS_CLI) ? test : test.skip)("Debian's aws CLI publishes to it too", async () => {
  const run = await runProcess(
    AWS_CLI,
    [
      'sns',
      'publish',
      '--endpoint-url',
      sns.endpoint,
      '--topic-arn',
      TOPIC,
      '--subject',
      'From the CLI',
      '--message',
      'ünïcode ok',
      '--output',
      'json',
    ],
    { cwd: tmpdir(), env: { ...FAKE_AWS, HOME: tmpdir() } },
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const last = sns.published.at(-1)!;
  expect(JSON.parse(run.stdout)).toEqual({ MessageId: last.messageId });
  expect(last).toMatchObject({ topicArn: TOPIC, subject: 'From the CLI', message: 'ünïcode ok', signed: true });
});
