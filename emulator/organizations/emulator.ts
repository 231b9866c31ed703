/**
 * An AWS Organizations emulator for tests and the benchmark: ListAccounts in
 * the AWS JSON 1.1 protocol, paged as AWS pages it (at most 20 a page), on
 * 127.0.0.1. Only the management account (or a delegated administrator) may
 * list; any other caller gets AccessDeniedException, as from AWS.
 */
import { randomUUID } from 'node:crypto';
import { ServerResponse } from 'node:http';
import { LoopbackServer, listenOnLoopback, readBody } from '../loopback-server';
import { accountOfAccessKey, signingScope } from '../sts/identity';

const TARGET = 'AWSOrganizationsV20161128.ListAccounts';
const MAX_PAGE = 20;

export type AccountState = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED';

export interface OrganizationAccount {
  id: string;
  name: string;
  state: AccountState;
}

export interface OrganizationsEmulatorOptions {
  /** The organization's management account: allowed to list, and named in every account's ARN. */
  managementAccountId: string;
  /** Member accounts allowed to list as well (delegated administrators). Default: none. */
  delegatedAdministrators?: readonly string[];
  accounts: readonly OrganizationAccount[];
  /** Accounts a page holds at most; default 20 (AWS's maximum). */
  pageSize?: number;
  /** Callers whose access key names no account are taken to be this one. Default: the management account. */
  defaultAccountId?: string;
}

export interface OrganizationsEmulator extends LoopbackServer {
  /** ListAccounts calls answered (pages included), refused ones too. */
  readonly calls: number;
}

export async function startOrganizationsEmulator(options: OrganizationsEmulatorOptions): Promise<OrganizationsEmulator> {
  const pageSize = Math.min(options.pageSize ?? MAX_PAGE, MAX_PAGE);
  let calls = 0;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    res.writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.1',
      'Content-Length': bytes.length,
      'x-amzn-RequestId': randomUUID(),
    });
    res.end(bytes);
  };
  const server = await listenOnLoopback((req, res) => {
    readBody(req).then(
      (text) => {
        if (req.headers['x-amz-target'] !== TARGET) {
          return send(res, 400, {
            __type: 'UnknownOperationException',
            message: `The Organizations emulator does not implement ${String(req.headers['x-amz-target'])}`,
          });
        }
        calls++;
        const scope = signingScope(String(req.headers.authorization ?? ''));
        if (!scope) return send(res, 400, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
        const caller = accountOfAccessKey(scope.accessKeyId) ?? options.defaultAccountId ?? options.managementAccountId;
        if (caller !== options.managementAccountId && !(options.delegatedAdministrators ?? []).includes(caller)) {
          return send(res, 400, {
            __type: 'AccessDeniedException',
            Message: `You don't have permissions to access this resource. Account ${caller} is not the management account or a delegated administrator.`,
          });
        }
        let start = 0;
        try {
          const input = (text ? JSON.parse(text) : {}) as { NextToken?: unknown };
          if (typeof input.NextToken === 'string') start = Number(Buffer.from(input.NextToken, 'base64').toString('utf8'));
          if (!Number.isInteger(start) || start < 0) throw new Error('bad token');
        } catch {
          return send(res, 400, { __type: 'InvalidInputException', Message: 'You provided an invalid NextToken or a malformed request.' });
        }
        const page = options.accounts.slice(start, start + pageSize).map((a) => ({
          Id: a.id,
          Arn: `arn:aws:organizations::${options.managementAccountId}:account/o-emulator/${a.id}`,
          Email: `${a.id}@example.com`,
          Name: a.name,
          // Status is the older field (ACTIVE | SUSPENDED | PENDING_CLOSURE); State is its 2025 successor.
          Status: a.state === 'CLOSED' ? 'SUSPENDED' : a.state,
          State: a.state,
          JoinedMethod: 'CREATED',
          JoinedTimestamp: 1_700_000_000,
        }));
        const next = start + pageSize;
        send(res, 200, {
          Accounts: page,
          ...(next < options.accounts.length ? { NextToken: Buffer.from(String(next)).toString('base64') } : {}),
        });
      },
      (err: unknown) => send(res, 500, { __type: 'ServiceException', Message: String(err) }),
    );
  });
  return {
    ...server,
    get calls() {
      return calls;
    },
  };
}
