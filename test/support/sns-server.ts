/**
 * A stand-in for Amazon SNS on 127.0.0.1: the query protocol's Publish action
 * (form-encoded POST, XML answer with a MessageId), which is what the SDK's SNS
 * client and the aws CLI send. It records every publish; it does not check SigV4.
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface PublishedMessage {
  topicArn: string;
  message: string;
  subject?: string;
  messageId: string;
  /** The Authorization header's presence: the client signed the request. */
  signed: boolean;
}

export interface SnsServerHandle {
  endpoint: string;
  published: PublishedMessage[];
  /** Makes every later Publish fail with this error code (e.g. AuthorizationError), or succeed again with undefined. */
  failWith(code: string | undefined): void;
  stop(): Promise<void>;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

function reply(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': randomUUID() });
  res.end(`<?xml version="1.0"?>\n${xml}`);
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  reply(
    res,
    status,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSnsServer(): Promise<SnsServerHandle> {
  const published: PublishedMessage[] = [];
  let failure: string | undefined;
  const server = createServer((req, res) => {
    body(req).then(
      (text) => {
        const params = new URLSearchParams(text);
        if (req.method !== 'POST' || params.get('Action') === null)
          return error(res, 400, 'InvalidAction', 'expected a form-encoded POST with Action');
        if (params.get('Action') !== 'Publish') return error(res, 400, 'InvalidAction', `${params.get('Action')} is not supported here`);
        const topicArn = params.get('TopicArn');
        const message = params.get('Message');
        if (!topicArn || message === null) return error(res, 400, 'InvalidParameter', 'TopicArn and Message are required');
        if (failure) return error(res, 403, failure, 'refused by the test');
        const messageId = randomUUID();
        const subject = params.get('Subject');
        published.push({
          topicArn,
          message,
          messageId,
          signed: Boolean(req.headers.authorization),
          ...(subject !== null ? { subject } : {}),
        });
        reply(
          res,
          200,
          `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
        );
      },
      () => error(res, 400, 'InvalidRequest', 'unreadable body'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    published,
    failWith: (code) => {
      failure = code;
    },
    stop: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
