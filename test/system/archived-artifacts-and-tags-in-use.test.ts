/**
 * ECR as accounts hold it in 2026, end to end through the real CLI: sources in a real docker-registry,
 * ECR in the emulator holding them archived, signed, beside charts, with a target tag already in use.
 * What a new user would see: present (archived, with the restore command), artifacts refused as
 * sources, no giant signature duplicate, no copy that moves a tag.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrationPlanJson } from '../../scanner/plan/plan-json';
import { Report } from '../../scanner/report/report-types';
import {
  EcrEmulator,
  EMPTY_CONFIG,
  helmChart,
  loadFromRegistry,
  notationSignature,
  spdxSbom,
  startEcrEmulator,
} from '../../emulator/ecr/emulator';
import { RegistryHandle, startRegistry } from '../support/registry';
import { CliRun, runCli, standInEnv } from '../support/run-cli';
import { pushArtifact } from '../support/push-artifact';
import { ACCOUNT, lonely, pushScenarios, SCENARIO_ECR_MAPPING, twin } from '../support/scenario-images';
import { imageManifest } from '../support/emulator-content';

let work = '';
let registry: RegistryHandle | undefined;
let ecr: EcrEmulator | undefined;
let run: CliRun;
let report: Report;
let plan: MigrationPlanJson;
const out = () => join(work, 'out');
const squatter = imageManifest('squatter', true, ['1']);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'archived-artifacts-'));
  registry = await startRegistry();
  await pushScenarios(work, registry.host);
  await pushArtifact(registry.url, 'src/chart', '1.0.0', {
    configMediaType: 'application/vnd.cncf.helm.config.v1+json',
    layerMediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
    content: 'chart bytes',
  });
  await pushArtifact(registry.url, 'src/sbom', '1', {
    configMediaType: EMPTY_CONFIG.mediaType,
    artifactType: 'application/spdx+json',
    layerMediaType: 'application/spdx+json',
    content: '{"spdxVersion":"SPDX-2.3"}',
  });
  const content = await loadFromRegistry(registry.url, SCENARIO_ECR_MAPPING);
  const twinInEcr = content['twin']!.find((i) => i.tags.includes('1'))!;
  const mirrorInEcr = content['mirror']![0]!;
  // Signatures of two different images: both use the OCI empty config, which is no image identity.
  content['twin']!.push(notationSignature(twinInEcr), spdxSbom(twinInEcr));
  content['mirror']!.push(notationSignature(mirrorInEcr));
  content['charts/web'] = [helmChart('web', '1.0.0')];
  content['charts/web-copy'] = [helmChart('web', '1.0.0')];
  // A team's repository already holds lonely's target tag with another image.
  content['src/lonely'] = [squatter];
  ecr = await startEcrEmulator({ accountId: ACCOUNT, repositories: content });
  // Every place ECR holds twin is archived.
  for (const repository of ['twin', 'twin-untagged']) ecr.store.setImageStatus(repository, twin.manifestDigest, 'ARCHIVED');
  ecr.store.setTagMutability('src/lonely', 'IMMUTABLE_WITH_EXCLUSION', ['latest']);

  const input = join(work, 'input.txt');
  const src = (path: string) => `${registry!.host}/src/${path}`;
  await writeFile(input, [src('twin:1'), src('lonely:1'), src('chart:1.0.0'), src('sbom:1'), ''].join('\n'));
  run = await runCli(['--input', input, '--out', out()], standInEnv({ home: work, ecrEndpoint: ecr.endpoint }));
  report = JSON.parse(await readFile(join(out(), 'report.json'), 'utf8')) as Report;
  plan = JSON.parse(await readFile(join(out(), 'plan.json'), 'utf8')) as MigrationPlanJson;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([registry?.stop(), ecr?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

test('a source ECR holds only archived is present; each match says ARCHIVED; no copy is planned', () => {
  const source = report.sources[0]!;
  expect(source.status).toBe('present');
  const matches = source.images[0]!.matches;
  expect(matches.map((m) => [m.repository, m.matchedBy, m.imageStatus])).toEqual([
    ['twin-untagged', 'manifest', 'ARCHIVED'],
    ['twin', 'manifest', 'ARCHIVED'],
  ]);
  expect(plan.copies.map((c) => c.line)).not.toContain(1);
  // The archived manifests were never read: matched by the manifest digest, counted as not compared.
  expect(
    ecr!.log.filter((c) => c.operation === 'BatchGetImage').flatMap((c) => c.input.imageIds as Array<{ imageDigest: string }>),
  ).not.toContainEqual({
    imageDigest: twin.manifestDigest,
  });
  expect(report.ecr[0]).toMatchObject({ archivedImages: 2, archivedNotCompared: 2 });
});

test('report.md and report.html say archived and give the restore command', async () => {
  const md = await readFile(join(out(), 'report.md'), 'utf8');
  const html = await readFile(join(out(), 'report.html'), 'utf8');
  const restore = `aws ecr update-image-storage-class --region us-east-1 --repository-name twin --image-id imageDigest=${twin.manifestDigest} --target-storage-class STANDARD`;
  expect(md).toContain('archived: restore it before pulling');
  expect(md).toContain(restore);
  expect(md).toContain('2 archived images could not be compared by image ID');
  expect(html).toContain('<span class="archived"');
  expect(html).toContain(restore);
});

test('a chart or an SBOM named as a source is an invalid error saying what it is', () => {
  const [, , chart, sbom] = report.sources;
  expect(chart).toMatchObject({ status: 'error', errorKind: 'invalid' });
  expect(chart!.error).toMatch(/is not a container image: it is a Helm chart \(application\/vnd\.cncf\.helm\.config\.v1\+json\)/);
  expect(sbom).toMatchObject({ status: 'error', errorKind: 'invalid' });
  expect(sbom!.error).toMatch(/it is an SBOM \(application\/spdx\+json\)/);
  expect(run.code).toBe(1);
});

test('signatures and charts are artifacts: counted by kind, never image duplicates', () => {
  const ids = (report.ecrDuplicates ?? []).map((d) => d.imageId);
  expect(ids).not.toContain(EMPTY_CONFIG.digest);
  expect(ids).not.toContain(helmChart('web', '1.0.0').digest);
  expect(report.ecr[0]!.kinds).toMatchObject({ artifact: 5 });
  // twin under two repositories, both archived and never read, is not compared by image ID: no duplicate claimed.
  expect(ids).not.toContain(twin.configDigest);
});

test('the plan never moves a tag: lonely:1 is held by another image in an immutable repository', async () => {
  const copy = plan.copies.find((c) => c.line === 2)!;
  expect(copy.tagInUse).toEqual({
    manifestDigest: squatter.digest,
    tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
    exclusionFilters: ['latest'],
    immutable: true,
  });
  expect(copy.conflict).toContain(`src/lonely:1 already exists in ECR with another image (${squatter.digest})`);
  expect(copy.conflict).toContain('ECR would refuse the push');
  const script = await readFile(join(out(), 'copy.sh'), 'utf8');
  expect(script).toMatch(/# not copied, .*src\/lonely:1 already exists in ECR/);
  expect(script).not.toMatch(new RegExp(`^copy .*${lonely.manifestDigest}`, 'm'));
});
