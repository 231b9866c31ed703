/**
 * Registry credentials from a Docker `config.json`, located as Docker does:
 * `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { canonicalRegistry } from '../oci/reference';

export interface Credentials {
  username: string;
  password: string;
}

export type CredentialStore = (registry: string) => Credentials | undefined;

export interface LoadedDockerConfig {
  path: string;
  lookup: CredentialStore;
  /** Problems a user should hear about (never containing secret values). */
  warnings: string[];
}

/** `https://index.docker.io/v1/` and `registry.example.com` both name a registry; reduce keys to host[:port]. */
export const registryKey = canonicalRegistry;

function decodeEntry(entry: unknown): Credentials | undefined {
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

export function parseDockerConfig(text: string, path: string): LoadedDockerConfig {
  const warnings: string[] = [];
  const byRegistry = new Map<string, Credentials>();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { path, lookup: () => undefined, warnings: [`${path} is not valid JSON; continuing without registry credentials`] };
  }
  const auths = (doc as { auths?: unknown }).auths;
  if (typeof auths === 'object' && auths !== null) {
    for (const [key, entry] of Object.entries(auths)) {
      const credentials = decodeEntry(entry);
      if (credentials) byRegistry.set(registryKey(key), credentials);
      else if (typeof entry === 'object' && entry !== null && Object.keys(entry).length > 0) {
        warnings.push(`${path}: entry for ${registryKey(key)} has no usable "auth" or "username"/"password"`);
      }
    }
  }
  const { credsStore, credHelpers } = doc as { credsStore?: unknown; credHelpers?: unknown };
  if (credsStore !== undefined || credHelpers !== undefined) {
    warnings.push(`${path}: credential helpers (credsStore/credHelpers) are not used; put credentials in "auths"`);
  }
  return { path, lookup: (registry) => byRegistry.get(registryKey(registry)), warnings };
}

/** A missing file means anonymous access, not an error. */
export function loadDockerConfig(env: NodeJS.ProcessEnv = process.env): LoadedDockerConfig {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const warnings = code === 'ENOENT' ? [] : [`cannot read ${path} (${code}); continuing without registry credentials`];
    return { path, lookup: () => undefined, warnings };
  }
  return parseDockerConfig(text, path);
}
