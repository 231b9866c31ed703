/**
 * Signatures and SBOMs travel with the image: a source registry with the OCI
 * 1.1 referrers API (the stand-in in front of docker-registry), one without it
 * (docker-registry itself, where a cosign `.sig` tag is found by HEAD), and
 * what report.json, plan.json, copy.sh and regsync.yml make of them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigrationPlanJson } from '../../scanner/plan/plan-json';
import { Report } from '../../scanner/report/report-types';
import { cosignSignature } from '../../emulator/ecr/artifacts';
import { pushArtifact, ReferrersRegistry, startReferrersRegistry } from '../support/referrers-registry';
import { CliRun, runCli, standInEnv } from '../support/run-cli';
import { lonely, same, twin } from '../support/scenario-images';
import { SourceFixture, startSourceFixture } from '../support/source-fixture';

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SPDX = 'application/spdx+json';
const COSIGN_SIG = 'application/vnd.dev.cosign.artifact.sig.v1+json';

let fixture: SourceFixture;
let withApi: ReferrersRegistry;
let run: CliRun;
let report: Report;
let plan: MigrationPlanJson;
let copySh = '';
let regsync = '';
const digests = { bundle: '', sbom: '', cosign: '' };

beforeAll(async () => {
  fixture = await startSourceFixture({
    name: 'referrers',
    pushes: [
      { target: same, to: 'team/signed:1' },
      { target: twin, to: 'team/cosigned:1' },
      { target: lonely, to: 'team/plain:1' },
      { target: same, to: 'ecr/copy:1' },
    ],
    // ECR holds the signed image byte for byte, but none of its referrers.
    ecr: [{ repository: 'ecr/copy', ecrRepository: 'copy' }],
  });
  withApi = await startReferrersRegistry(fixture.registry.url);
  const subject = (image: typeof same) => ({
    digest: image.manifestDigest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: image.manifest.length,
  });
  digests.bundle = await pushArtifact(withApi.url, 'team/signed', {
    artifactType: BUNDLE,
    payload: '{"signature":"test"}',
    subject: subject(same),
  });
  digests.sbom = await pushArtifact(withApi.url, 'team/signed', {
    artifactType: SPDX,
    payload: '{"spdxVersion":"SPDX-2.3"}',
    subject: subject(same),
  });
  // cosign's tag schema: the signature under sha256-<hex>.sig, no subject, straight into the registry without the API.
  digests.cosign = await pushArtifact(fixture.registry.url, 'team/cosigned', {
    artifactType: 'application/vnd.dev.cosign.simplesigning.v1+json',
    payload: '{"critical":{}}',
    tag: `${twin.manifestDigest.replace(':', '-')}.sig`,
  });
  const input = join(fixture.work, 'input.txt');
  const r = fixture.registry.host;
  await writeFile(input, `${withApi.host}/team/signed:1\n${r}/team/cosigned:1\n${r}/team/plain:1\n`);
  const out = join(fixture.work, 'out');
  run = await runCli(['--input', input, '--out', out], standInEnv({ home: fixture.work, ecrEndpoint: fixture.ecr.endpoint }));
  report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
  plan = JSON.parse(await readFile(join(out, 'plan.json'), 'utf8')) as MigrationPlanJson;
  copySh = await readFile(join(out, 'copy.sh'), 'utf8');
  regsync = await readFile(join(out, 'regsync.yml'), 'utf8');
}, 120_000);

afterAll(async () => {
  await withApi?.stop();
  await fixture?.stop();
});

test("each source's referrers, by the API where there is one and by cosign's tag where not, with whether ECR holds them", () => {
  if (run.code !== 0) process.stdout.write(run.stderr);
  expect(run.code).toBe(0);
  const [signed, cosigned, plain] = report.sources;
  expect(signed).toMatchObject({ status: 'present' });
  expect(signed!.referrers).toEqual([
    { digest: digests.bundle, artifactType: BUNDLE, inEcr: false, via: 'api' },
    { digest: digests.sbom, artifactType: SPDX, inEcr: false, via: 'api' },
  ]);
  expect(cosigned).toMatchObject({ status: 'absent' });
  expect(cosigned!.referrers).toEqual([
    {
      digest: digests.cosign,
      artifactType: COSIGN_SIG,
      inEcr: false,
      via: 'cosign-tag',
      tag: `${twin.manifestDigest.replace(':', '-')}.sig`,
    },
  ]);
  expect(plain!.referrers).toBeUndefined();
  expect(report.referrerSummary).toEqual({ sources: 2, referrers: 3, missingInEcr: 3, presentLackingReferrers: 1 });
});

test('HEADs, not GETs, where the registry lacks the API: one referrers GET (404) for the host, then four HEADs a source', () => {
  const direct = report.registries!.find((r) => r.host === fixture.registry.host)!;
  expect(direct.requests).toMatchObject({ manifestGet: 2, referrers: 1 + 4 * 2 });
  const api = report.registries!.find((r) => r.host === withApi.host)!;
  expect(api.requests).toMatchObject({ manifestGet: 0, referrers: 1 });
  expect(withApi.requests.filter((q) => q.startsWith('HEAD') && q.includes('sha256-'))).toEqual([]);
});

test('the plan carries the referrers: with the copy of an absent image, and alone for a present one', () => {
  expect(plan.copies.find((c) => c.input.endsWith('cosigned:1'))!.referrers).toEqual([
    { digest: digests.cosign, artifactType: COSIGN_SIG, via: 'cosign-tag', tag: `${twin.manifestDigest.replace(':', '-')}.sig` },
  ]);
  expect(plan.copies.find((c) => c.input.endsWith('plain:1'))!.referrers).toBeUndefined();
  expect(plan.referrerCopies).toEqual([
    expect.objectContaining({
      line: 1,
      sourceDigest: same.manifestDigest,
      targetRepository: 'copy',
      referrers: [expect.objectContaining({ artifactType: BUNDLE }), expect.objectContaining({ artifactType: SPDX })],
    }),
  ]);
  const sigTag = `${twin.manifestDigest.replace(':', '-')}.sig`;
  expect(copySh).toContain(
    `copy_image 'line 2: ${fixture.registry.host}/team/cosigned:1 (${sigTag})' '${fixture.registry.host}/team/cosigned:${sigTag}' "$TARGET_REGISTRY"'/team/cosigned:${sigTag}'`,
  );
  expect(copySh).toMatch(
    /# OCI 1\.1 referrers of sha256:[a-f0-9]{64} ECR lacks: application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json, application\/spdx\+json\.\n# skopeo copies no referrers; .*\n# {3}regctl image copy --referrers /,
  );
  expect(copySh).toMatch(/PLAN_COPIES=3\n/);
  expect(regsync).toMatch(/team\/cosigned:1"\n {4}type: image\n {4}referrers: true\n/);
  expect(regsync).toContain(
    `  - source: "${withApi.host}/team/signed@${same.manifestDigest}"\n    target: "123456789012.dkr.ecr.us-east-1.amazonaws.com/copy@${same.manifestDigest}"\n    type: image\n    referrers: true\n`,
  );
  expect(regsync).not.toMatch(/team\/plain:1"\n {4}type: image\n {4}referrers/);
});

test('report.md and report.html show what ECR lacks', async () => {
  const out = join(fixture.work, 'out');
  const md = await readFile(join(out, 'report.md'), 'utf8');
  expect(md).toContain('1 source(s) are present in ECR without all of their referrers');
  expect(md).toContain(`| ${withApi.host}/team/signed:1 | present | application/spdx+json | ${digests.sbom} | **no** |`);
  const html = await readFile(join(out, 'report.html'), 'utf8');
  expect(html).toContain('<section id="referrers"><h2>Signatures, attestations and SBOMs</h2>');
});

test('a referrer ECR holds for the matching image, of the same type, is inEcr: true (the inventory reads it beside its subject)', async () => {
  const subject = fixture.ecr.store.images('copy')!.find((i) => i.digest === same.manifestDigest)!;
  fixture.ecr.store.putImage('copy', cosignSignature(subject));
  const input = join(fixture.work, 'signed-only.txt');
  await writeFile(input, `${withApi.host}/team/signed:1\n`);
  const out = join(fixture.work, 'out-signed');
  const again = await runCli(['--input', input, '--out', out], standInEnv({ home: fixture.work, ecrEndpoint: fixture.ecr.endpoint }));
  expect(again.code).toBe(0);
  const signed = (JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report).sources[0]!;
  expect(signed.referrers).toEqual([
    { digest: digests.bundle, artifactType: BUNDLE, inEcr: true, via: 'api' },
    { digest: digests.sbom, artifactType: SPDX, inEcr: false, via: 'api' },
  ]);
  // The signature in ECR is an artifact: no image duplicate, no match of its own.
  expect(signed.images[0]!.matches.map((m) => m.repository)).toEqual(['copy']);
});
