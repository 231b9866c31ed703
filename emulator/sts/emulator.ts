/**
 * An AWS STS emulator for tests and the benchmark: AssumeRole and
 * GetCallerIdentity in STS's query protocol (form-encoded POST, XML answers),
 * on 127.0.0.1. The caller's account is read from its access key
 * (identity.ts); an assumed role's keys name the role's account and its
 * session token carries the expiry, so the ECR emulator serves the member
 * account's registry and refuses the session once it has expired, as AWS does.
 */
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer, listenOnLoopback, readBody } from '../loopback-server';
import { accountOfAccessKey, encodeSessionToken, signingScope } from './identity';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

export interface StsEmulatorOptions {
  /** The caller's account when its access key does not name one. Default '123456789012'. */
  defaultAccountId?: string;
  /** ARNs of the roles that exist and trust the caller; AssumeRole of any other is AccessDenied. */
  roles: readonly string[];
  /** Lifetime of the credentials issued, whatever DurationSeconds asked (to test refreshing). Default: as asked, else 3600. */
  sessionSeconds?: number;
}

export interface StsCall {
  action: string;
  callerAccountId: string;
  roleArn?: string;
  roleSessionName?: string;
  status: number;
}

export interface StsEmulator extends LoopbackServer {
  readonly log: readonly StsCall[];
  /** Makes a role assumable (true) or not (false) from now on. */
  setRole(roleArn: string, exists: boolean): void;
}

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function element(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

function randomKey(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

export async function startStsEmulator(options: StsEmulatorOptions): Promise<StsEmulator> {
  const defaultAccountId = options.defaultAccountId ?? '123456789012';
  const roles = new Set(options.roles);
  const log: StsCall[] = [];

  const answer = (res: ServerResponse, status: number, xml: string) => {
    const bytes = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, 'utf8');
    res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': bytes.length, 'x-amzn-RequestId': randomUUID() });
    res.end(bytes);
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string) =>
    answer(
      res,
      status,
      `<ErrorResponse xmlns="${NAMESPACE}">${element('Error', element('Type', 'Sender') + element('Code', code) + element('Message', xmlEscape(message)))}` +
        `${element('RequestId', randomUUID())}</ErrorResponse>`,
    );
  const result = (res: ServerResponse, action: string, body: string) =>
    answer(
      res,
      200,
      `<${action}Response xmlns="${NAMESPACE}">${element(`${action}Result`, body)}` +
        `${element('ResponseMetadata', element('RequestId', randomUUID()))}</${action}Response>`,
    );

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const form = new URLSearchParams(await readBody(req));
    const action = form.get('Action') ?? '';
    const scope = signingScope(String(req.headers.authorization ?? ''));
    if (!scope) return fail(res, 403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const callerAccountId = accountOfAccessKey(scope.accessKeyId) ?? defaultAccountId;
    const call: StsCall = { action, callerAccountId, status: 200 };
    log.push(call);
    const refuse = (status: number, code: string, message: string) => {
      call.status = status;
      fail(res, status, code, message);
    };
    if (action === 'GetCallerIdentity') {
      return result(
        res,
        action,
        element('Arn', `arn:aws:iam::${callerAccountId}:user/scanner`) +
          element('UserId', scope.accessKeyId) +
          element('Account', callerAccountId),
      );
    }
    if (action !== 'AssumeRole') return refuse(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    const roleArn = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    call.roleArn = roleArn;
    call.roleSessionName = sessionName;
    const parsed = ROLE_ARN.exec(roleArn);
    if (!parsed) return refuse(400, 'ValidationError', `${roleArn} is invalid`);
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) return refuse(400, 'ValidationError', `RoleSessionName ${sessionName} is invalid`);
    if (!roles.has(roleArn)) {
      return refuse(
        403,
        'AccessDenied',
        `User: arn:aws:iam::${callerAccountId}:user/scanner is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    const [, , accountId, roleName] = parsed as unknown as [string, string, string, string];
    const asked = Number(form.get('DurationSeconds') ?? 3600);
    const expiresAt = Date.now() + (options.sessionSeconds ?? asked) * 1000;
    const accessKeyId = `ASIA${accountId}${randomKey(4)}`;
    const credentials =
      element('AccessKeyId', accessKeyId) +
      element('SecretAccessKey', randomKey(40)) +
      element('SessionToken', encodeSessionToken({ accountId, roleName, sessionName, expiresAt })) +
      element('Expiration', new Date(expiresAt).toISOString());
    const user =
      element('AssumedRoleId', `AROA${randomKey(16)}:${xmlEscape(sessionName)}`) +
      element('Arn', `arn:aws:sts::${accountId}:assumed-role/${roleName}/${xmlEscape(sessionName)}`);
    return result(res, action, element('Credentials', credentials) + element('AssumedRoleUser', user));
  };

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) fail(res, 500, 'InternalFailure', String(err));
    });
  });
  return {
    ...server,
    log,
    setRole(roleArn, exists) {
      if (exists) roles.add(roleArn);
      else roles.delete(roleArn);
    },
  };
}
