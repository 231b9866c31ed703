/**
 * Pushes OCI layouts to a test registry and reads manifests back with skopeo,
 * each run sealed in its own temp dir so neither $HOME nor /etc/containers nor
 * /var/lib/containers is read or written.
 *
 * Found by experiment with skopeo 1.9.3 and distribution 2.8.2:
 * - `copy --format v2s2` of an OCI image leaves the config blob byte for byte
 *   alone, so the config digest (image ID) is the same as with `--format oci`;
 *   only the manifest is rewritten (Docker media types for manifest, config
 *   and layers, and `size` before `digest` in each descriptor), so the
 *   manifest digest differs.
 * - `copy --all` of an OCI index without a format pushes the index bytes
 *   unchanged: the index digest in the registry equals the layout's.
 * - `copy --all --format v2s2` of an index with buildx-style attestation
 *   entries fails: "Unknown media type during manifest conversion:
 *   application/vnd.in-toto+json". Only convert indexes without attestations.
 * - `inspect --raw` prints the manifest bytes exactly, no trailing newline.
 * - Through gate-proxy.ts with Bearer auth, a push asks the token server once
 *   for `repository:NAME:pull,push`, sending the credentials as Basic. When
 *   the token server answers 200 without a token, skopeo carries on with an
 *   empty one and fails later with a plain "unauthorized".
 * - As root skopeo keeps its blob-info cache in /var/lib/containers/cache
 *   unless it believes it is rootless; `_CONTAINERS_ROOTLESS_UID` makes it use
 *   $XDG_DATA_HOME instead, which we point into the temp dir. A fresh cache
 *   per run also stops it trying cross-repository mounts based on earlier
 *   tests, which would make request logs differ from run to run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SKOPEO = '/usr/bin/skopeo';

export interface SkopeoCredentials {
  username: string;
  password: string;
}

export interface PushLayoutOptions {
  /** Directory holding an OCI image layout (see oci-layout.ts). */
  layoutDir: string;
  /** The `org.opencontainers.image.ref.name` of the entry to push. */
  tag: string;
  /** `127.0.0.1:PORT/repo:tag`; a `docker://` prefix is accepted too. */
  destination: string;
  /** Manifest format in the registry; unchanged from the layout when absent. */
  format?: 'oci' | 'v2s2';
  /** Push every manifest of an index, not just the one for this machine's platform. */
  all?: boolean;
  credentials?: SkopeoCredentials;
}

export interface InspectOptions {
  credentials?: SkopeoCredentials;
}

function dockerRef(ref: string): string {
  return ref.startsWith('docker://') ? ref : `docker://${ref}`;
}

/**
 * The environment that points every skopeo config, auth and cache path into
 * `sandbox` (a fresh directory), so no test reads or writes the machine's own.
 */
export async function skopeoSandboxEnv(sandbox: string): Promise<NodeJS.ProcessEnv> {
  const home = join(sandbox, 'home');
  await mkdir(home, { recursive: true });
  await writeFile(join(sandbox, 'registries.conf'), '');
  await writeFile(join(sandbox, 'containers.conf'), '');
  await writeFile(join(sandbox, 'auth.json'), '{}');
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: sandbox,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_RUNTIME_DIR: join(sandbox, 'run'),
    REGISTRY_AUTH_FILE: join(sandbox, 'auth.json'),
    CONTAINERS_REGISTRIES_CONF: join(sandbox, 'registries.conf'),
    CONTAINERS_CONF: join(sandbox, 'containers.conf'),
    _CONTAINERS_ROOTLESS_UID: '1000',
  };
}

/** Runs skopeo with an environment that points every config, auth and cache path into a fresh temp dir. */
async function runSkopeo(args: readonly string[]): Promise<Buffer> {
  const sandbox = await mkdtemp(join(tmpdir(), 'test-skopeo-'));
  try {
    const registriesD = join(sandbox, 'registries.d');
    await mkdir(registriesD);
    const env = await skopeoSandboxEnv(sandbox);
    const globalFlags = ['--insecure-policy', '--registries.d', registriesD];
    return await new Promise<Buffer>((resolve, reject) => {
      execFile(
        SKOPEO,
        [...globalFlags, ...args],
        { env, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
        (err, stdout, stderr) => {
          if (err) {
            reject(new Error(`skopeo ${args[0]} failed: ${err.message}\n${stderr.toString('utf8')}`));
          } else {
            resolve(stdout);
          }
        },
      );
    });
  } finally {
    await rm(sandbox, { recursive: true, force: true });
  }
}

function credsFlag(flag: string, creds: SkopeoCredentials | undefined): string[] {
  return creds ? [flag, `${creds.username}:${creds.password}`] : [];
}

/** `skopeo copy oci:DIR:TAG docker://DESTINATION` over plain HTTP. */
export async function pushLayout(opts: PushLayoutOptions): Promise<void> {
  const args = [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    ...(opts.all ? ['--all'] : []),
    ...(opts.format ? ['--format', opts.format] : []),
    ...credsFlag('--dest-creds', opts.credentials),
    `oci:${opts.layoutDir}:${opts.tag}`,
    dockerRef(opts.destination),
  ];
  await runSkopeo(args);
}

/** The manifest (or index) bytes the registry serves for `127.0.0.1:PORT/repo:tag` or `...@sha256:...`. */
export async function inspectRaw(ref: string, opts: InspectOptions = {}): Promise<Buffer> {
  return runSkopeo(['inspect', '--raw', '--tls-verify=false', ...credsFlag('--creds', opts.credentials), dockerRef(ref)]);
}
