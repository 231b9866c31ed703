/**
 * Bad input: each case gives a clear message naming the line or
 * argument, the rest is still scanned, and the exit status follows the
 * contract. Argument and file errors go through the real CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Report } from '../../scanner/report/report-types';
import { EcrEmulator } from '../../emulator/ecr/emulator';
import { buildImage } from '../../emulator/oci-layout';
import { RegistryHandle } from '../support/registry';
import { FAKE_AWS, runCli } from '../support/run-cli';
import { expectReportInvariants, scanOnce } from '../support/scan-harness';
import { SourceFixture, startSourceFixture } from '../support/source-fixture';
import { RUN_FILES } from '../support/run-files';

const image = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'app', content: 'bad-input\n' }] });
let work = '';
let fixture: SourceFixture;
let registry: RegistryHandle;
let ecr: EcrEmulator;
let good = '';

beforeAll(async () => {
  fixture = await startSourceFixture({
    name: 'bad-input',
    pushes: [
      { target: image, to: 'team/app:1' },
      { target: image, to: 'team/app:2' },
      { target: image, to: 'team/app:3' },
    ],
    ecr: [{ repository: 'team/app', ecrRepository: 'app' }],
  });
  ({ work, registry, ecr } = fixture);
  good = `${registry.host}/team/app:1`;
}, 60_000);

afterAll(() => fixture?.stop());

async function scan(input: string | Buffer) {
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint });
  expectReportInvariants(run.report!, input);
  return run;
}

describe('input lines', () => {
  test('an empty file: report with 0 sources, exit 0, no AWS call needed', async () => {
    const calls = ecr.calls.total;
    const run = await scan('');
    expect(run.exitCode).toBe(0);
    expect(run.report!.summary.sources).toBe(0);
    expect(ecr.calls.total).toBe(calls);
    expect(Object.keys(run.written).sort()).toEqual(RUN_FILES);
  });

  test('a file of only comments: report with 0 sources, exit 0', async () => {
    const run = await scan('# nothing yet\n   # really\n\n');
    expect(run.exitCode).toBe(0);
    expect(run.report!.sources).toEqual([]);
  });

  test('binary garbage: each line an error, the valid line still scanned', async () => {
    const garbage = Buffer.concat([
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x0a]),
      Buffer.from(`${good}\n`),
      Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a]),
    ]);
    const run = await scan(garbage);
    expect(run.exitCode).toBe(1);
    expect(run.report!.sources.map((s) => [s.line, s.status])).toEqual([
      [1, 'error'],
      [2, 'present'],
      [3, 'error'],
    ]);
    expect(run.report!.sources[0]!.error).toMatch(/control characters/);
    expect(run.report!.sources[2]!.error).toMatch(/not valid UTF-8/);
  });

  test('a line of 10,000 characters: an error naming the line, echo shortened', async () => {
    const run = await scan(`${good}\n${'x'.repeat(10_000)}\n`);
    expect(run.exitCode).toBe(1);
    const bad = run.report!.sources[1]!;
    expect(bad).toMatchObject({ line: 2, status: 'error', error: expect.stringMatching(/10000 characters long/) });
    expect(bad.input.length).toBeLessThan(300);
    expect(run.stderr).toMatch(/line 2: invalid reference/);
  });

  test('10,000 lines: every one accounted for, each distinct reference fetched once', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) =>
      i % 3 === 0 ? good : `${registry.host}/team/app@sha256:${image.manifestDigest.slice(7)}`,
    );
    const run = await scan(lines.join('\n'));
    expect(run.exitCode).toBe(0);
    expect(run.report!.sources).toHaveLength(2);
    expect(run.report!.sources.every((s) => s.status === 'present')).toBe(true);
  });

  test('1,000,000 lines naming three images: three sources, every line accounted for, readable reports bounded', async () => {
    // Spreading a million mentions into an array overflowed the call stack (exit 2, no report); comparing each
    // line's origin with every earlier one did not finish.
    // Short lines: a million of them must stay under the 32 MiB an input may be.
    const three = [good, `${registry.host}/team/app:2`, `${registry.host}/team/app:3`];
    const input = Array.from({ length: 1_000_000 }, (_, i) => three[i % 3]).join('\n');
    // The common invariants compare million-element arrays with Jest's diff, slowly; here each line is counted once by hand.
    const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint });
    expect(run.exitCode).toBe(0);
    const counted = new Uint8Array(1_000_001);
    for (const s of run.report!.sources) for (const line of [s.line, ...s.duplicateLines!]) counted[line]!++;
    expect(counted.indexOf(0, 1)).toBe(-1);
    expect(counted.indexOf(2)).toBe(-1);
    expect(run.report!.sources.map((s) => [s.line, s.status, s.duplicateLines!.length, s.origins!.length])).toEqual([
      [1, 'present', 333_333, 333_334],
      [2, 'present', 333_332, 333_333],
      [3, 'present', 333_332, 333_333],
    ]);
    expect(run.written['report.md']).toMatch(/… and 333314 more \(report\.json lists every one\)/);
    expect(run.written['report.md']!.length).toBeLessThan(64 * 1024);
    expect(run.written['report.html']!.length).toBeLessThan(256 * 1024);
  });

  test('20,000 invalid lines: each an error naming its line, the valid line still scanned', async () => {
    // Each row of report.html looked at every source again: 20,000 lines took minutes.
    const lines = Array.from({ length: 20_000 }, (_, i) => (i === 10_000 ? good : `Team/App${i}:1`));
    const run = await scan(lines.join('\n'));
    expect(run.exitCode).toBe(1);
    expect(run.report!.summary).toMatchObject({ sources: 20_000, present: 1, error: 19_999 });
    expect(run.report!.sources[0]).toMatchObject({ line: 1, status: 'error', error: expect.stringMatching(/must be lowercase/) });
    expect(run.report!.sources[19_999]).toMatchObject({ line: 20_000, input: 'Team/App19999:1' });
  });

  test.each([
    ['uppercase in a repository path', 'docker.io/Team/App:1', /must be lowercase/],
    ['a digest of the wrong length', 'nginx@sha256:abcdef', /invalid digest|64 hex/],
    ['an unknown digest algorithm', `nginx@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
    ['spaces inside a reference', 'nginx: 1.25', /whitespace/],
    ['a URL to a code host', 'https://github.com/docker/docker', /^invalid reference: not an image reference \(a URL, https:\/\/…\)/],
    ['a skopeo transport', 'docker://nginx:1.25', /not an image reference \(a URL, docker:\/\/…\).*e\.g\. nginx:1\.25$/],
  ])('%s: error for that line, the rest scanned', async (_name, bad, message) => {
    const run = await scan(`${good}\n${bad}\n`);
    expect(run.exitCode).toBe(1);
    expect(run.report!.sources.map((s) => s.status)).toEqual(['present', 'error']);
    expect(run.report!.sources[1]).toMatchObject({ line: 2, input: bad, error: expect.stringMatching(message) });
  });

  test('tag and digest together: the digest decides, as in Docker', async () => {
    const run = await scan(`${registry.host}/team/app:no-such-tag@${image.manifestDigest}\n`);
    expect(run.exitCode).toBe(0);
    expect(run.report!.sources[0]).toMatchObject({ status: 'present', digest: image.manifestDigest });
  });

  test('invalid UTF-8: that line an error, the rest scanned', async () => {
    const input = Buffer.concat([Buffer.from(`${good}\n`), Buffer.from([0x6e, 0x67, 0x69, 0x6e, 0x78, 0xc3, 0x28, 0x0a])]);
    const run = await scan(input);
    expect(run.exitCode).toBe(1);
    expect(run.report!.sources[1]).toMatchObject({ line: 2, status: 'error', error: 'line is not valid UTF-8' });
  });

  test('a registry host that does not resolve: error naming the host', async () => {
    const run = await scan(`registry.does-not-exist.invalid/team/app:1\n${good}\n`);
    expect(run.exitCode).toBe(1);
    expect(run.report!.sources[0]).toMatchObject({
      status: 'error',
      error: expect.stringMatching(/registry\.does-not-exist\.invalid does not resolve/),
    });
    expect(run.report!.sources[1]!.status).toBe('present');
  });
});

describe('command line and files (real CLI)', () => {
  const env = () => ({ ...FAKE_AWS, HOME: work, DOCKER_CONFIG: join(work, 'no-docker'), AWS_ENDPOINT_URL_ECR: ecr.endpoint });
  const inputFile = async () => {
    const path = join(work, 'input.txt');
    await writeFile(path, `${good}\n`);
    return path;
  };

  test('missing input file: exit 2, message names the file', async () => {
    const run = await runCli(['--input', join(work, 'nope.txt'), '--out', join(work, 'o1')], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read input file .*nope\.txt: no such file/);
  });

  test('unreadable input file: exit 2, message names the file', async () => {
    // Root reads any file whatever its mode, so the test uses something no one can read as a file.
    const dir = join(work, 'a-directory');
    await mkdir(dir, { recursive: true });
    const run = await runCli(['--input', dir, '--out', join(work, 'o2')], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot read input file .*a-directory: it is a directory/);
  });

  test('a FIFO as --input: exit 2 at once with a message naming it, not a hang', async () => {
    const fifo = join(work, 'input-pipe');
    execFileSync('mkfifo', [fifo]);
    const run = await runCli(['--input', await inputFile(), '--input', fifo, '--out', join(work, 'o-fifo')], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /cannot read input file .*input-pipe: it is a pipe \(FIFO\), which may never end; write what it gives to a file/,
    );
  });

  test('careless files of every kind: each fault an error naming its file and line or service, every image still answered', async () => {
    const dir = join(work, 'careless');
    await mkdir(dir, { recursive: true });
    const text = join(dir, 'input.txt');
    const kube = join(dir, 'deploy.yaml');
    const compose = join(dir, 'compose.yaml');
    await writeFile(text, `https://github.com/docker/docker\n${good}\n`);
    // A Latin-1 é in a comment: the file is still a manifest, not 12 invalid input.txt lines.
    await writeFile(
      kube,
      Buffer.concat([
        Buffer.from('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n# owner: Jos'),
        Buffer.from([0xe9]),
        Buffer.from(
          `\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ${registry.host}/team/app:2\n`,
        ),
      ]),
    );
    await writeFile(
      compose,
      `services:\n  api:\n    image: ${registry.host}/team/app:3\n  web:\n    extends: api\n  builder:\n    build: ./builder\n`,
    );
    const out = join(work, 'o-careless');
    // input.txt twice, once by another spelling of its path: read once, each error reported once.
    const again = `${dir}/./input.txt`;
    const run = await runCli(['--input', text, '--input', kube, '--input', compose, '--input', again, '--out', out], env());
    expect(run.code).toBe(1);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.sources.map((s) => [s.origins![0]!.file, s.line, s.status, s.status === 'error' ? s.error : s.reference])).toEqual([
      [text, 1, 'error', expect.stringMatching(/^invalid reference: not an image reference \(a URL, https:\/\/…\)/)],
      [text, 2, 'present', good],
      [kube, 4, 'error', expect.stringMatching(/^line 4, column 13 of .*deploy\.yaml holds a byte that is not UTF-8 \(a Latin-1/)],
      [kube, 10, 'present', `${registry.host}/team/app:2`],
      [compose, 3, 'present', `${registry.host}/team/app:3`],
      [compose, 5, 'error', expect.stringMatching(/^service web uses extends, which the scanner does not follow/)],
      [compose, 7, 'error', expect.stringMatching(/^service builder is only built \(build: without image:\)/)],
    ]);
    expect(run.stderr).toMatch(/deploy\.yaml read as kubernetes/);
    expect(run.stderr).toContain(`input: ${again} was given already; read once`);
  });

  test('--out not writable: exit 2 before any scanning', async () => {
    const blocker = join(work, 'a-file');
    await writeFile(blocker, '');
    const calls = ecr.calls.total;
    const run = await runCli(['--input', await inputFile(), '--out', join(blocker, 'out')], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--out .*a-file\/out is not writable: (ENOTDIR|EEXIST)/);
    expect(ecr.calls.total).toBe(calls);
  });

  test.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--concurrency', '0'], /--concurrency must be a whole number >= 1, got "0"/],
    [['--concurrency', 'many'], /--concurrency must be a whole number >= 1/],
    [['--platform', 'linux'], /invalid --platform "linux"/],
    [['--s3-uri', 'bucket/prefix'], /invalid --s3-uri "bucket\/prefix"/],
    [['--timeout', '0'], /--timeout must be a number > 0, got "0"/],
    [['stray-positional'], /Unexpected argument 'stray-positional'/],
  ])('bad argument %j: exit 2 with a message naming it', async (args, message) => {
    const run = await runCli(['--input', 'input.txt', '--out', join(work, 'o3'), ...args], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/--help/);
  });

  test('--help prints usage and exits 0', async () => {
    const run = await runCli(['--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: ecr-duplicate-scanner --input <file> --out <dir>/);
  });

  test('a good run through the CLI: exit 0 and the report on disk', async () => {
    const out = join(work, 'o4');
    const run = await runCli(['--input', await inputFile(), '--out', out], env());
    expect(run.code).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.summary).toMatchObject({ sources: 1, present: 1 });
  });
});
