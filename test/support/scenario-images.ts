/**
 * The images of the end-to-end scenarios (scan-scenarios, plan-copy): one of
 * each case the comparison must get right. Built once, in-process.
 */
import { join } from 'node:path';
import type { RegistryMapping } from '../../emulator/ecr/emulator';
import { BuiltImage, BuiltIndex, buildImage, buildIndex, withConfig, writeOciLayout } from '../../emulator/oci-layout';
import { pushLayout } from './skopeo';

export const ACCOUNT = '123456789012';
export const ECR_HOST = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;

/** In ECR byte for byte (OCI) and as v2s2 elsewhere: the same image ID under two manifest digests. */
export const same = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'app/same', content: 'same\n' }] });
export const twin = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'app/twin', content: 'twin\n' }] });
/** In no ECR repository. */
export const lonely = buildImage({
  os: 'linux',
  architecture: 'arm64',
  variant: 'v8',
  files: [{ path: 'app/lonely', content: 'lonely\n' }],
});
/** The same layers as `same` under another config: another image, which a layer comparison would call a duplicate. */
export const relabelled = withConfig(same, { labels: { rebuilt: 'yes' } });
export const partAmd = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'app/part', content: 'amd\n' }] });
export const partArm = buildImage({ os: 'linux', architecture: 'arm64', variant: 'v8', files: [{ path: 'app/part', content: 'arm\n' }] });
/** An index of which ECR holds one platform only. */
export const partial = buildIndex([partAmd, partArm], { attest: 'all' });
export const fullAmd = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'app/full', content: 'amd\n' }] });
export const fullArm = buildImage({ os: 'linux', architecture: 'arm', variant: 'v7', files: [{ path: 'app/full', content: 'arm\n' }] });
export const full = buildIndex([fullAmd, fullArm], { attest: 'all' });

/** The scenarios' ECR repositories: registry repository -> ECR name. */
export const SCENARIO_ECR_MAPPING: RegistryMapping[] = [
  { repository: 'ecr/mirror', ecrRepository: 'mirror' },
  { repository: 'ecr/twin', ecrRepository: 'twin' },
  { repository: 'ecr/twin-untagged', ecrRepository: 'twin-untagged' },
  { repository: 'ecr/partial', ecrRepository: 'partial' },
  { repository: 'ecr/full', ecrRepository: 'full' },
];

const SCENARIO_LAYOUT: Array<[string, BuiltImage | BuiltIndex]> = [
  ['same', same],
  ['twin', twin],
  ['lonely', lonely],
  ['relabelled', relabelled],
  ['partial', partial],
  ['part-amd', partAmd],
  ['full', full],
];

/**
 * Pushes the scenarios into a registry: the sources under `src/`, and under
 * `ecr/` what ECR holds (the same image re-pushed as Docker v2s2, a byte-identical
 * image under two tags and untagged elsewhere, one platform of a multi-arch image,
 * a whole index under a tag). `extra` pushes more, as [layout tag, repo:tag].
 */
export async function pushScenarios(work: string, registryHost: string, extra: Array<[string, string]> = []): Promise<void> {
  const layout = join(work, 'layout');
  await writeOciLayout(
    layout,
    SCENARIO_LAYOUT.map(([tag, target]) => ({ tag, target })),
  );
  const push = (tag: string, destination: string, more: { format?: 'oci' | 'v2s2'; all?: boolean } = {}) =>
    pushLayout({ layoutDir: layout, tag, destination: `${registryHost}/${destination}`, ...more });
  await push('same', 'src/same:oci');
  await push('twin', 'src/twin:1');
  await push('lonely', 'src/lonely:1');
  await push('relabelled', 'src/relabelled:1');
  await push('partial', 'src/partial:1', { all: true });
  await push('full', 'src/full:1', { all: true });
  for (const [tag, destination] of extra) await push(tag, destination);
  await push('same', 'ecr/mirror:v2s2', { format: 'v2s2' });
  await push('twin', 'ecr/twin:1');
  await push('twin', 'ecr/twin:stable');
  await push('twin', 'ecr/twin-untagged:tmp');
  await push('part-amd', 'ecr/partial:amd64-only');
  await push('full', 'ecr/full:release', { all: true });
}
