/**
 * The set-up most scan suites share: a work folder, a real registry holding
 * images pushed by skopeo from layouts built in-process, and an ECR emulator
 * that lists some of the registry's repositories as ECR's. One call starts it,
 * one call stops everything it started.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EcrEmulator, EcrEmulatorOptions, loadFromRegistry, RegistryMapping, startEcrEmulator } from '../../emulator/ecr/emulator';
import { BuiltImage, BuiltIndex, writeOciLayout } from '../../emulator/oci-layout';
import { REGISTRY_TEST_PASSWORD, REGISTRY_TEST_USERNAME, RegistryHandle, startRegistry } from './registry';
import { pushLayout } from './skopeo';

export interface FixturePush {
  target: BuiltImage | BuiltIndex;
  /** `repo:tag` in the registry. */
  to: string;
  format?: 'oci' | 'v2s2';
}

export interface SourceFixtureOptions {
  /** Names the work folder, for a person reading /tmp. */
  name: string;
  pushes: readonly FixturePush[];
  /** The registry wants the sentinel Basic login (REGISTRY_TEST_USERNAME / REGISTRY_TEST_PASSWORD). */
  htpasswd?: boolean;
  /** Registry repositories ECR holds; none when absent (an empty ECR). */
  ecr?: RegistryMapping[];
  ecrOptions?: Omit<EcrEmulatorOptions, 'repositories'>;
}

export interface SourceFixture {
  work: string;
  registry: RegistryHandle;
  ecr: EcrEmulator;
  stop(): Promise<void>;
}

export const SENTINEL_LOGIN = { username: REGISTRY_TEST_USERNAME, password: REGISTRY_TEST_PASSWORD };

export async function startSourceFixture(options: SourceFixtureOptions): Promise<SourceFixture> {
  const work = await mkdtemp(join(tmpdir(), `${options.name}-`));
  const started: Array<{ stop(): Promise<void> }> = [];
  const stop = async () => {
    await Promise.allSettled(started.map((s) => s.stop()));
    await rm(work, { recursive: true, force: true });
  };
  try {
    const registry = await startRegistry(options.htpasswd ? { htpasswd: SENTINEL_LOGIN } : {});
    started.push(registry);
    for (const [i, push] of options.pushes.entries()) {
      const layoutDir = join(work, `layout-${i}`);
      await writeOciLayout(layoutDir, [{ tag: 'x', target: push.target }]);
      await pushLayout({
        layoutDir,
        tag: 'x',
        destination: `${registry.host}/${push.to}`,
        ...(push.format ? { format: push.format } : {}),
        ...(push.target.kind === 'index' ? { all: true } : {}),
        ...(options.htpasswd ? { credentials: SENTINEL_LOGIN } : {}),
      });
    }
    if (options.ecr && options.htpasswd)
      throw new Error('startSourceFixture: ECR content is read anonymously; use a registry without htpasswd');
    const ecr = await startEcrEmulator({
      ...options.ecrOptions,
      repositories: options.ecr ? await loadFromRegistry(registry.url, options.ecr) : {},
    });
    started.push(ecr);
    return { work, registry, ecr, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
