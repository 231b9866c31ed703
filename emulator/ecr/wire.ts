/**
 * ECR's AWS JSON 1.1 wire format: the X-Amz-Target naming the operation, a
 * JSON object as the body, answers and errors as `{"__type", "message"}`
 * with a request ID, as the SDK and awscli parse them.
 */
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { EcrOperation, EcrServiceError, JsonObject, isEcrOperation } from './api';

export const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921';
const JSON_TYPE = 'application/x-amz-json-1.1';

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'Content-Type': JSON_TYPE,
    'Content-Length': bytes.length,
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(bytes);
}

export function sendError(res: ServerResponse, error: EcrServiceError): void {
  sendJson(res, error.status, { __type: error.code, message: error.message });
}

/** The operation a request names and its input, or the error ECR answers a request it cannot read with. */
export function parseOperation(
  method: string | undefined,
  target: string,
  body: Buffer,
): { operation: EcrOperation; input: JsonObject } | EcrServiceError {
  const [prefix, name] = target.split('.');
  if (method !== 'POST' || prefix !== TARGET_PREFIX || !name || !isEcrOperation(name)) {
    return new EcrServiceError('UnknownOperationException', `The ECR emulator does not implement ${target}`);
  }
  try {
    const parsed: unknown = body.length ? JSON.parse(body.toString('utf8')) : {};
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return { operation: name, input: parsed as JsonObject };
  } catch {
    return new EcrServiceError('SerializationException', 'Request body is not a JSON object');
  }
}

/** The try number the JS SDK sends in `amz-sdk-request: attempt=N`; 1 when absent (awscli 2.9's botocore does not send it). */
export function attemptOf(req: IncomingMessage): number {
  const attemptHeader = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
  return attemptHeader ? Number(attemptHeader[1]) : 1;
}
