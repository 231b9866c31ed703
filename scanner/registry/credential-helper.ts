/**
 * Docker's credential-helper protocol: `docker-credential-<name> get` with the
 * server address on stdin answers `{"ServerURL","Username","Secret"}` on
 * stdout, or exits non-zero with "credentials not found" when it has none.
 */
import { execFile } from 'node:child_process';
import { CredentialError } from './credentials';

export type HelperAnswer = { found: true; username: string; secret: string } | { found: false };

/** Helper names become part of a command name: nothing that could walk the file system. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const HELPER_TIMEOUT_MS = 30_000;
/** A helper's answer is a few hundred bytes; a runaway one must not fill memory. */
const HELPER_MAX_BYTES = 1024 * 1024;
/** What docker/docker-credential-helpers' `credentials.NewErrCredentialsNotFound` prints, in every helper. */
const NOT_FOUND = /credentials not found/i;

export function helperCommand(name: string): string {
  return `docker-credential-${name}`;
}

/** The first line of what a failing helper said, short: enough to act on, too little to carry a secret by accident. */
function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export function runCredentialHelper(name: string, serverAddress: string, env: NodeJS.ProcessEnv = process.env): Promise<HelperAnswer> {
  const command = helperCommand(name);
  if (!HELPER_NAME.test(name)) return Promise.reject(new CredentialError(`invalid credential helper name "${name}" in config.json`));
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      ['get'],
      { env, timeout: HELPER_TIMEOUT_MS, maxBuffer: HELPER_MAX_BYTES, encoding: 'utf8', windowsHide: true },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            reject(new CredentialError(`credential helper ${command} is not installed (not found on PATH)`, err));
            return;
          }
          const said = firstLine(stdout) || firstLine(stderr);
          if (NOT_FOUND.test(said)) {
            resolve({ found: false });
            return;
          }
          const why = err.killed ? `did not answer within ${HELPER_TIMEOUT_MS / 1000} s` : `failed (exit ${err.code ?? err.signal})`;
          reject(new CredentialError(`credential helper ${command} ${why}${said ? `: ${said}` : ''}`, err));
          return;
        }
        let doc: unknown;
        try {
          doc = JSON.parse(stdout);
        } catch (parseError) {
          reject(new CredentialError(`credential helper ${command} answered something that is not JSON`, parseError));
          return;
        }
        const { Username, Secret } = (typeof doc === 'object' && doc !== null ? doc : {}) as { Username?: unknown; Secret?: unknown };
        if (typeof Secret !== 'string' || Secret === '') {
          resolve({ found: false });
          return;
        }
        resolve({ found: true, username: typeof Username === 'string' ? Username : '', secret: Secret });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(serverAddress);
  });
}
