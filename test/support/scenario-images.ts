/**
 * The images of the end-to-end scenarios (scan-scenarios, plan-copy): one of
 * each case the comparison must get right. Built once, in-process.
 */
import { buildImage, buildIndex, withConfig } from '../../emulator/oci-layout';

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
