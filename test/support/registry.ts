/**
 * Starts a real OCI registry (Debian's CNCF distribution 2.8) on 127.0.0.1 for
 * tests, optionally with htpasswd (Basic) auth, in a throw-away directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const REGISTRY_BINARY = '/usr/bin/docker-registry';

/** A password that is obviously a test value, so a test can grep logs and reports for leaks. */
export const REGISTRY_TEST_PASSWORD = 's3ntinel-registry-pass-7f3a';
export const REGISTRY_TEST_USERNAME = 'sentinel-user';

/**
 * bcrypt of REGISTRY_TEST_PASSWORD, the only hash distribution's htpasswd
 * accepts. Kept as a constant because nothing .ci installs can make bcrypt
 * (no htpasswd binary, no bcrypt npm package, openssl has no bcrypt). It was
 * produced once, with libxcrypt through Python 3.11's crypt module:
 *
 *   python3 -W ignore -c "import crypt; print(crypt.crypt('s3ntinel-registry-pass-7f3a', '\$2b\$04\$ecrDuplicateScannerTest'))"
 *
 * Cost 4, the minimum, because the registry re-checks the hash on every
 * request; at the usual cost 10-12 each authenticated request would take
 * tens to hundreds of milliseconds. The registry accepting the password in
 * test/support/fixtures.test.ts is the check that the hash is right.
 */
const REGISTRY_TEST_PASSWORD_BCRYPT = '$2b$04$ecrDuplicateScannerTeexfhFu6pXwG0/11bjQ8UYC2373YXolOy';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryOptions {
  /** Require Basic auth. The password must be REGISTRY_TEST_PASSWORD (see the bcrypt note above). */
  htpasswd?: RegistryCredentials;
}

export interface RegistryHandle {
  /** `127.0.0.1:PORT`, as image references want it. */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** The registry's storage root, for tests that look at or damage stored blobs. */
  storageDir: string;
  credentials?: RegistryCredentials;
  /** Output the registry printed so far (last few KiB), for failure messages. */
  output(): string;
  /** Stops the registry and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

interface Live {
  child: ChildProcess;
  dir: string;
}

/** Registries still running in this process, so a worker that exits without afterAll leaves nothing behind. */
const live = new Set<Live>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const { child, dir } of live) {
      killGroup(child, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the whole group (shell, registry, watcher), since it was spawned detached.
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs the registry under a shell that kills it when our end of its stdin
 * closes. A pipe closes however this process ends, even by SIGKILL from
 * jest's force-exit, where no 'exit' hook runs; so no registry outlives the
 * worker that started it. The shell exits with the registry's status, which
 * is how an early failure (port taken, bad config) is noticed.
 */
const WATCHDOG = [
  'exec 3<&0 0</dev/null',
  '"$0" serve "$1" &',
  'reg=$!',
  '{ cat <&3; kill -TERM "$reg"; } >/dev/null 2>&1 &',
  'wait "$reg"',
].join('\n');

function validateCredentials(creds: RegistryCredentials): void {
  if (creds.password !== REGISTRY_TEST_PASSWORD) {
    throw new Error('startRegistry: htpasswd password must be REGISTRY_TEST_PASSWORD; only its bcrypt hash is precomputed');
  }
  if (creds.username === '' || /[:\s]/.test(creds.username)) {
    throw new Error(`startRegistry: htpasswd username ${JSON.stringify(creds.username)} cannot go in an htpasswd file`);
  }
}

function configYaml(opts: { port: number; storageDir: string; htpasswdPath?: string }): string {
  // JSON strings are valid YAML double-quoted scalars, so paths need no further escaping.
  const q = (s: string): string => JSON.stringify(s);
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(opts.storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(`127.0.0.1:${opts.port}`)}`,
    // Without a secret the registry logs a warning and picks a random one; set it to stay quiet.
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
    'health:',
    '  storagedriver:',
    '    enabled: false',
  ];
  if (opts.htpasswdPath !== undefined) {
    lines.push('auth:', '  htpasswd:', '    realm: "test-registry"', `    path: ${q(opts.htpasswdPath)}`);
  }
  return lines.join('\n') + '\n';
}

/** Status of GET url, or undefined when nothing answers yet. Its own agent-less request so no socket lingers. */
function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: 1000, headers: { Connection: 'close' } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class AddressInUse extends Error {}

async function startOnce(dir: string, opts: RegistryOptions): Promise<RegistryHandle> {
  const port = await freePort();
  const storageDir = join(dir, 'storage');
  const configPath = join(dir, `config-${port}.yml`);
  let htpasswdPath: string | undefined;
  if (opts.htpasswd) {
    htpasswdPath = join(dir, 'htpasswd');
    await writeFile(htpasswdPath, `${opts.htpasswd.username}:${REGISTRY_TEST_PASSWORD_BCRYPT}\n`, { mode: 0o600 });
  }
  await writeFile(configPath, configYaml({ port, storageDir, htpasswdPath }));

  const child = spawn('/bin/sh', ['-c', WATCHDOG, REGISTRY_BINARY, configPath], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const entry: Live = { child, dir };
  live.add(entry);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => child.stdin?.destroy());
  // The shell is ours to wait for, but must not keep jest's event loop alive on its own.
  child.unref();

  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (live.has(entry)) {
      child.stdin?.end();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 5000))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        killGroup(child, 'SIGKILL');
        await exited;
      }
      live.delete(entry);
    }
  };

  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(entry);
      if (/address already in use/i.test(output)) throw new AddressInUse(output);
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}) before it answered:\n${output}`);
    }
    const status = await probe(`${url}/v2/`);
    if (status === 200 || (status === 401 && opts.htpasswd)) break;
    if (status !== undefined) {
      await stop();
      throw new Error(`docker-registry answered GET /v2/ with ${status} while starting:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on ${url} within 15 s:\n${output}`);
    }
    await sleep(50);
  }

  return {
    host: `127.0.0.1:${port}`,
    url,
    port,
    storageDir,
    ...(opts.htpasswd ? { credentials: { ...opts.htpasswd } } : {}),
    output: () => output,
    stop: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `docker-registry serve` with filesystem storage in a fresh temp dir,
 * deletes enabled and logs at warn, and resolves once `GET /v2/` answers.
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RegistryHandle> {
  if (opts.htpasswd) validateCredentials(opts.htpasswd);
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'test-registry-'));
  try {
    // freePort() can race with another worker taking the port before the registry binds it.
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce(dir, opts);
      } catch (err) {
        if (!(err instanceof AddressInUse) || attempt >= 3) throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
