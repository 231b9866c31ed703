/**
 * Sources as teams have them, end to end through the command line against
 * Debian's docker-registry (tags/list and _catalog): expansion lines, a
 * Kubernetes file with a running Pod, a compose file, all in one scan with
 * every source keeping where it came from.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Report } from '../../scanner/report/report-types';
import { CliRun, runCli, standInEnv } from '../support/run-cli';
import { same, twin } from '../support/scenario-images';
import { SourceFixture, startSourceFixture } from '../support/source-fixture';

let fixture: SourceFixture;
let run: CliRun;
let report: Report;
let host = '';
const files = { text: '', kube: '', compose: '' };

beforeAll(async () => {
  fixture = await startSourceFixture({
    name: 'expansion-inputs',
    pushes: [
      ...['1.24.0', '1.25.0', '1.25.1', '2.0.0', 'edge'].map((tag) => ({ target: same, to: `team/app:${tag}` })),
      { target: twin, to: 'team/tool:1' },
      // A neighbour whose name only starts like the namespace: not part of team/*.
      { target: twin, to: 'team-b/other:1' },
      { target: same, to: 'ecr/copy:same' },
      { target: twin, to: 'ecr/copy:twin' },
    ],
    // ECR holds both images, so resolving what the lines produce needs no manifest GET either.
    ecr: [{ repository: 'ecr/copy', ecrRepository: 'copy' }],
  });
  host = fixture.registry.host;
  const work = fixture.work;
  files.text = join(work, 'input.txt');
  files.kube = join(work, 'cluster.json');
  files.compose = join(work, 'compose.yaml');
  await writeFile(
    files.text,
    [
      `${host}/team/app:semver(^1.25)`,
      `${host}/team/*:latest(1)      # the newest version of every repository of team/`,
      `${host}/team/app:/^edge$/`,
      'docker.io/library/*',
      `${host}/nothing-here/*`,
      '',
    ].join('\n'),
  );
  const pod = {
    kind: 'Pod',
    metadata: { name: 'web-7d9f', namespace: 'shop' },
    spec: { containers: [{ name: 'web', image: `${host}/team/app:edge` }] },
    status: { containerStatuses: [{ name: 'web', imageID: `${host}/team/app@${same.manifestDigest}` }] },
  };
  const deployment = {
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { template: { spec: { containers: [{ name: 'web', image: `${host}/team/app:1.25.0` }] } } },
  };
  await writeFile(
    files.kube,
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment, pod, { kind: 'Service', metadata: { name: 'web' } }] }, null, 2),
  );
  await writeFile(files.compose, `services:\n  tool:\n    image: ${host}/team/tool:1\n`);
  run = await runCli(
    ['--input', files.text, '--input', files.kube, '--input', files.compose, '--out', join(work, 'out')],
    standInEnv({ home: work, ecrEndpoint: fixture.ecr.endpoint }),
  );
  report = JSON.parse(await readFile(join(work, 'out', 'report.json'), 'utf8')) as Report;
}, 120_000);

afterAll(async () => {
  await fixture?.stop();
});

test('every line, file and container is accounted for; the closed catalog is the only error', () => {
  if (run.code !== 1) process.stdout.write(run.stderr);
  expect(run.code).toBe(1);
  expect(report.sources.map((s) => [s.reference ?? s.input, s.status])).toEqual([
    [`${host}/team/app:1.25.0`, 'present'],
    [`${host}/team/app:1.25.1`, 'present'],
    [`${host}/team/app:2.0.0`, 'present'],
    [`${host}/team/tool:1`, 'present'],
    [`${host}/team/app:edge`, 'present'],
    ['docker.io/library/*', 'error'],
    [`${host}/team/app:edge@${same.manifestDigest}`, 'present'],
  ]);
  expect(report.sources[5]).toMatchObject({
    errorKind: 'unsupported',
    error: expect.stringMatching(
      /docker\.io has no open catalog .*name each repository on a line of its own instead, e\.g\. docker\.io\/library\/app:\*/,
    ),
  });
  expect(report.expansions).toEqual([
    { file: files.text, line: 1, input: `${host}/team/app:semver(^1.25)`, repositories: 1, sources: 2 },
    { file: files.text, line: 2, input: `${host}/team/*:latest(1)`, repositories: 2, sources: 2 },
    { file: files.text, line: 3, input: `${host}/team/app:/^edge$/`, repositories: 1, sources: 1 },
    expect.objectContaining({ line: 4, repositories: 0, sources: 0, errorKind: 'unsupported' }),
    { file: files.text, line: 5, input: `${host}/nothing-here/*`, repositories: 0, sources: 0 },
  ]);
});

test('one image named in several places is one source with every origin', async () => {
  expect(report.sources[0]!.origins).toEqual([
    { file: files.text, line: 1, expansion: `${host}/team/app:semver(^1.25)` },
    { file: files.kube, line: expect.any(Number), kind: 'Deployment', namespace: 'shop', name: 'web', container: 'web' },
  ]);
  expect(report.sources[3]!.origins).toEqual([
    { file: files.text, line: 2, expansion: `${host}/team/*:latest(1)` },
    { file: files.compose, line: 3, service: 'tool' },
  ]);
  // The running Pod: the digest it runs is what was compared.
  expect(report.sources[6]).toMatchObject({
    digest: same.manifestDigest,
    origins: [{ file: files.kube, kind: 'Pod', namespace: 'shop', name: 'web-7d9f', container: 'web' }],
  });
  const md = await readFile(join(fixture.work, 'out', 'report.md'), 'utf8');
  expect(md).toContain(`${files.kube}: Pod shop/web-7d9f, container web`);
  const html = await readFile(join(fixture.work, 'out', 'report.html'), 'utf8');
  expect(html).toContain(`<span class="legend">named in</span> ${files.kube}: Pod shop/web-7d9f, container web`);
});

test('expansion spends no pull: tags/list and _catalog pages and HEADs only', () => {
  const usage = report.registries!.find((r) => r.host === host)!;
  expect(usage.requests).toMatchObject({ manifestGet: 0, catalog: 2, tagList: 4 });
  expect(usage.requests.manifestHead).toBe(5);
});
