/**
 * Who a request comes from, as the emulators tell it without shared state: an
 * access key ID carries its account (`AKIA`/`ASIA`, the 12-digit account, 4
 * more characters: the 20 characters AWS keys have), and a session token the
 * STS emulator issued carries its role and expiry. The ECR emulator reads both
 * to pick the registry and to refuse expired sessions, as AWS does.
 */

const KEY_ACCOUNT = /^A[SK]IA(\d{12})[A-Z0-9]{4}$/;
const TOKEN_PREFIX = 'emulator-session.';

/** Long-term keys of a caller in `accountId`, for the SDK's credentials (e.g. AWS_ACCESS_KEY_ID). */
export function emulatorAccessKeyId(accountId: string, suffix = 'USER'): string {
  if (!/^\d{12}$/.test(accountId) || !/^[A-Z0-9]{4}$/.test(suffix))
    throw new Error(`not an account ID or a 4-character suffix: ${accountId} ${suffix}`);
  return `AKIA${accountId}${suffix}`;
}

/** The account an access key ID names, or undefined for keys not made by emulatorAccessKeyId or the STS emulator. */
export function accountOfAccessKey(accessKeyId: string): string | undefined {
  return KEY_ACCOUNT.exec(accessKeyId)?.[1];
}

export interface EmulatorSession {
  accountId: string;
  roleName: string;
  sessionName: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export function encodeSessionToken(session: EmulatorSession): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify(session), 'utf8').toString('base64url');
}

/** The session a token describes, or undefined when the STS emulator did not issue it. */
export function decodeSessionToken(token: string): EmulatorSession | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')) as Partial<EmulatorSession>;
    if (typeof value.accountId !== 'string' || typeof value.expiresAt !== 'number') return undefined;
    return value as EmulatorSession;
  } catch {
    return undefined;
  }
}

/** The access key ID of a SigV4 Authorization header, with its scope's region and service. */
export function signingScope(authorization: string): { accessKeyId: string; region: string; service: string } | undefined {
  const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  return scope ? { accessKeyId: scope[1]!, region: scope[2]!, service: scope[3]! } : undefined;
}
