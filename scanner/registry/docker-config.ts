/**
 * Registry credentials as Docker finds them in its `config.json`
 * (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), in Docker's
 * order: `credHelpers[host]`, else `credsStore`, else the `auths[host]` entry.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { canonicalRegistry, DOCKER_HUB } from '../oci/reference';
import { runCredentialHelper, helperCommand, HelperAnswer } from './credential-helper';
import { CredentialError, Credentials } from './credentials';

/** Runs a helper; replaced in unit tests. */
export type HelperRunner = (name: string, serverAddress: string) => Promise<HelperAnswer>;

/** What Docker sends a helper for Docker Hub: the legacy index URL that `docker login` stores it under. */
const DOCKER_HUB_SERVER_ADDRESS = 'https://index.docker.io/v1/';
/** Docker's placeholder username for an OAuth2 refresh token kept by a helper. */
const IDENTITY_TOKEN_USERNAME = '<token>';

function decodeEntry(entry: unknown): Omit<Credentials, 'source'> | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { auth, username, password } = entry as Record<string, unknown>;
  if (typeof auth === 'string' && auth !== '') {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    return undefined;
  }
  if (typeof username === 'string' && typeof password === 'string' && username !== '') return { username, password };
  return undefined;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(homedir(), '.docker', 'config.json');
}

/** The parsed config: which store answers for which host. Lookups are made once per host and run. */
export class DockerConfig {
  private readonly auths = new Map<string, Omit<Credentials, 'source'> | undefined>();
  private readonly helpers = new Map<string, string>();
  private readonly pending = new Map<string, Promise<Credentials | undefined>>();
  private readonly credsStore: string | undefined;

  constructor(
    readonly path: string,
    doc: unknown,
    readonly warnings: string[],
    private readonly runHelper: HelperRunner,
  ) {
    const { auths, credHelpers, credsStore } = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
    if (typeof auths === 'object' && auths !== null) {
      for (const [key, entry] of Object.entries(auths)) {
        const credentials = decodeEntry(entry);
        this.auths.set(canonicalRegistry(key), credentials);
        // Docker Desktop leaves `auths` entries empty when a store holds the secret; that is not a problem.
        if (
          !credentials &&
          typeof credsStore !== 'string' &&
          typeof entry === 'object' &&
          entry !== null &&
          Object.keys(entry).length > 0
        ) {
          warnings.push(`${path}: entry for ${canonicalRegistry(key)} has no usable "auth" or "username"/"password"`);
        }
      }
    }
    if (typeof credHelpers === 'object' && credHelpers !== null) {
      for (const [key, name] of Object.entries(credHelpers)) {
        if (typeof name === 'string' && name !== '') this.helpers.set(canonicalRegistry(key), name);
      }
    }
    this.credsStore = typeof credsStore === 'string' && credsStore !== '' ? credsStore : undefined;
  }

  /** True when config.json says something about this host itself (a helper or an `auths` entry), not only a global store. */
  namesHost(registry: string): boolean {
    const key = canonicalRegistry(registry);
    return this.helpers.has(key) || this.auths.has(key);
  }

  /** Credentials for a host, or undefined for anonymous; rejects with CredentialError when a helper fails. */
  lookup(registry: string): Promise<Credentials | undefined> {
    const key = canonicalRegistry(registry);
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.find(key);
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async find(key: string): Promise<Credentials | undefined> {
    const helper = this.helpers.get(key) ?? this.credsStore;
    if (helper !== undefined) {
      const via = this.helpers.has(key) ? `credHelpers["${key}"]` : 'credsStore';
      const command = helperCommand(helper);
      let answer: HelperAnswer;
      try {
        answer = await this.runHelper(helper, key === DOCKER_HUB ? DOCKER_HUB_SERVER_ADDRESS : key);
      } catch (err) {
        if (err instanceof CredentialError) throw new CredentialError(`${err.message} (${via} in ${this.path}, for ${key})`, err);
        throw err;
      }
      if (!answer.found) return undefined;
      if (answer.username === IDENTITY_TOKEN_USERNAME) {
        throw new CredentialError(
          `${command} holds an identity token (OAuth2 refresh token) for ${key}, which this scanner does not use; log in with a username and an access token instead`,
        );
      }
      return { username: answer.username, password: answer.secret, source: `credential helper ${command}` };
    }
    const entry = this.auths.get(key);
    return entry ? { ...entry, source: `config.json at ${this.path}` } : undefined;
  }
}

export function parseDockerConfig(text: string, path: string, runHelper: HelperRunner = runCredentialHelper): DockerConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return new DockerConfig(path, {}, [`${path} is not valid JSON; continuing without registry credentials`], runHelper);
  }
  return new DockerConfig(path, doc, [], runHelper);
}

/** A missing file means anonymous access, not an error. */
export function loadDockerConfig(env: NodeJS.ProcessEnv = process.env, runHelper: HelperRunner = runCredentialHelper): DockerConfig {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const warnings = code === 'ENOENT' ? [] : [`cannot read ${path} (${code}); continuing without registry credentials`];
    return new DockerConfig(path, {}, warnings, runHelper);
  }
  return parseDockerConfig(text, path, runHelper);
}
