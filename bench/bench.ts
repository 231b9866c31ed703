/**
 * `npm run bench`: the scanner against a synthetic ECR registry of 100,000
 * images (200 repositories x 500) with 20 ms per API call, cold and with the
 * digest cache, beside the hand-written skopeo + AWS CLI loop on a 1,000-image
 * subset. Prints one table. Not a test: it asserts nothing, it measures.
 *
 * Options: --repositories N --images N --latency MS --concurrency N
 *          --peer-images N (0 skips the peer) --retry-modes (compare SDK retry modes under throttling)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Report } from '../scanner/report/report-types';
import { bundleScanner } from '../scripts/bundle-scanner';
import { EcrEmulator, startEcrEmulator, ThrottleOptions } from '../emulator/ecr/emulator';
import { FAKE_AWS, ISOLATED_AWS_ENV } from '../test/support/run-cli';
import { apiLowerBound, SyntheticWorld, syntheticWorld } from '../test/support/synthetic-world';

interface RunResult {
  wallMs: number;
  code: number | null;
  maxRssMb: number;
  cpuMs: number;
  calls: {
    DescribeRepositories: number;
    ListImages: number;
    DescribeImages: number;
    BatchGetImage: number;
    total: number;
    throttled: number;
  };
  report: Report | undefined;
  stderr: string;
}

const { values } = parseArgs({
  options: {
    repositories: { type: 'string', default: '200' },
    images: { type: 'string', default: '500' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string' },
    'peer-images': { type: 'string', default: '1000' },
    'retry-modes': { type: 'boolean', default: false },
  },
});
const REPOS = Number(values.repositories);
const IMAGES = Number(values.images);
const LATENCY = Number(values.latency);
const PEER_IMAGES = Number(values['peer-images']);

async function runScanner(
  bundle: string,
  emulator: EcrEmulator,
  input: string,
  dir: string,
  extra: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const out = join(dir, `out-${Date.now()}`);
  const rusage = join(dir, `rusage-${Date.now()}.json`);
  emulator.resetCalls();
  const started = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each scanner run there.
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = spawn(
      process.execPath,
      [...profile, '--require', join(__dirname, 'rusage-preload.cjs'), bundle, '--input', input, '--out', out, '--quiet', ...extra],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          ...FAKE_AWS,
          ...ISOLATED_AWS_ENV,
          AWS_ENDPOINT_URL_ECR: emulator.endpoint,
          DOCKER_CONFIG: dir,
          BENCH_RUSAGE_FILE: rusage,
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  const wallMs = performance.now() - started;
  const usage = JSON.parse(await readFile(rusage, 'utf8')) as { maxRssKb: number; userMs: number; systemMs: number };
  let report: Report | undefined;
  try {
    report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
  } catch {
    report = undefined;
  }
  const c = emulator.calls;
  return {
    wallMs,
    code,
    maxRssMb: usage.maxRssKb / 1024,
    cpuMs: usage.userMs + usage.systemMs,
    calls: {
      DescribeRepositories: c.DescribeRepositories,
      ListImages: c.ListImages,
      DescribeImages: c.DescribeImages,
      BatchGetImage: c.BatchGetImage,
      total: c.total,
      throttled: c.throttled,
    },
    report,
    stderr,
  };
}

/** Exactly the planted images, and nothing else, for every source. */
function foundExactlyPlanted(report: Report | undefined, world: SyntheticWorld, repositories: Set<string>): boolean {
  if (!report) return false;
  return world.sourcePaths.every((path, i) => {
    const source = report.sources[i];
    const expected = world.expected
      .get(path)!
      .filter((p) => repositories.has(p.repository))
      .map((p) => p.repository)
      .sort();
    const found = (source?.images[0]?.matches ?? []).map((m) => m.repository).sort();
    return (
      source !== undefined &&
      JSON.stringify(found) === JSON.stringify(expected) &&
      source.status === (expected.length ? 'present' : 'absent')
    );
  });
}

function runPeer(endpoint: string, sourcesFile: string): Promise<{ wallMs: number; matches: number; code: number | null }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(__dirname, 'peer-loop.sh'), endpoint, sourcesFile], {
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...FAKE_AWS, ...ISOLATED_AWS_ENV },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ wallMs: performance.now() - started, matches: out.split('\n').filter(Boolean).length, code }));
  });
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const repoSet = (n: number) => new Set(Array.from({ length: n }, (_, r) => `bench/repo-${String(r).padStart(4, '0')}`));
const matchCount = (report: Report | undefined) => (report?.sources ?? []).reduce((n, src) => n + (src.images[0]?.matches.length ?? 0), 0);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ecr-scan-bench-'));
  const rows: Array<[string, string]> = [];
  const emulators: EcrEmulator[] = [];
  try {
    // The same bundle CodeBuild runs.
    const { entry: bundle } = await bundleScanner(join(dir, 'scanner'));
    const concurrency = values.concurrency ? ['--concurrency', values.concurrency] : [];
    const world = syntheticWorld({ repositories: REPOS, imagesPerRepository: IMAGES, sources: 20, planted: 8 });
    const ecr = await startEcrEmulator({
      synthetic: world.store,
      distribution: world.distribution,
      latencyMs: LATENCY,
      recordCalls: false,
    });
    emulators.push(ecr);
    const host = new URL(ecr.endpoint).host;
    const input = join(dir, 'input.txt');
    await writeFile(input, world.sourcePaths.map((p) => `${host}/${p}:1`).join('\n'));
    const cacheFile = join(dir, 'digest-cache.json');
    const bound = apiLowerBound(REPOS, IMAGES);

    process.stderr.write(`bench: ${REPOS} repositories x ${IMAGES} images = ${world.store.imageCount} images, ${LATENCY} ms per call\n`);
    const cold = await runScanner(bundle, ecr, input, dir, ['--cache', cacheFile, ...concurrency]);
    const warm = await runScanner(bundle, ecr, input, dir, ['--cache', cacheFile, ...concurrency]);
    const allRepos = repoSet(REPOS);
    rows.push(
      ['ECR images', `${world.store.imageCount} in ${REPOS} repositories, ${LATENCY} ms per call`],
      ['cold: wall time', s(cold.wallMs)],
      [
        'cold: DescribeRepositories / image listing / BatchGetImage',
        `${cold.calls.DescribeRepositories} / ${cold.calls.ListImages + cold.calls.DescribeImages} / ${cold.calls.BatchGetImage}`,
      ],
      [
        'lower bound (listing pages as DescribeImages pages)',
        `${bound.describeRepositories} / ${bound.describeImages} / ${bound.batchGetImage} = ${bound.total}`,
      ],
      ['cold: calls / lower bound', `${cold.calls.total} / ${bound.total} = ${(cold.calls.total / bound.total).toFixed(3)}`],
      ['cold: peak RSS, scanner CPU time', `${cold.maxRssMb.toFixed(0)} MB, ${s(cold.cpuMs)}`],
      [
        'cold: exit status, found exactly the planted matches',
        `${cold.code}, ${foundExactlyPlanted(cold.report, world, allRepos) ? 'yes' : 'NO'} (${matchCount(cold.report)} matches)`,
      ],
      ['re-scan with cache: wall time (share of cold)', `${s(warm.wallMs)} (${((100 * warm.wallMs) / cold.wallMs).toFixed(0)}%)`],
      ['re-scan with cache: BatchGetImage calls', String(warm.calls.BatchGetImage)],
      ['re-scan with cache: peak RSS, scanner CPU time', `${warm.maxRssMb.toFixed(0)} MB, ${s(warm.cpuMs)}`],
      ['re-scan: found exactly the planted matches', foundExactlyPlanted(warm.report, world, allRepos) ? 'yes' : 'NO'],
    );

    if (PEER_IMAGES > 0) {
      const peerRepos = Math.max(1, Math.round(PEER_IMAGES / IMAGES));
      const peerWorld = syntheticWorld({ repositories: peerRepos, imagesPerRepository: IMAGES, sources: 20, planted: 8 });
      const peerEcr = await startEcrEmulator({
        synthetic: peerWorld.store,
        distribution: peerWorld.distribution,
        latencyMs: LATENCY,
        recordCalls: false,
      });
      emulators.push(peerEcr);
      const peerHost = new URL(peerEcr.endpoint).host;
      const peerInput = join(dir, 'peer-input.txt');
      await writeFile(peerInput, `${peerWorld.sourcePaths.map((p) => `${peerHost}/${p}:1`).join('\n')}\n`);
      const ours = await runScanner(bundle, peerEcr, peerInput, dir, [...concurrency]);
      process.stderr.write(`bench: peer loop over ${peerWorld.store.imageCount} images (one AWS CLI call per image; this takes minutes)\n`);
      const peer = await runPeer(peerEcr.endpoint, peerInput);
      rows.push(
        [`peer subset: ${peerWorld.store.imageCount} images, scanner wall time`, `${s(ours.wallMs)} (${matchCount(ours.report)} matches)`],
        ['peer subset: skopeo + AWS CLI loop wall time', `${s(peer.wallMs)} (${peer.matches} matches, exit ${peer.code})`],
        ['peer subset: speed-up', `${(peer.wallMs / ours.wallMs).toFixed(0)}x`],
      );
    }

    if (values['retry-modes']) {
      const throttles: Array<[string, ThrottleOptions]> = [
        ['every 10th call', { everyNth: 10 }],
        ['token bucket 100/s, burst 20', { ratePerSecond: 100, burst: 20 }],
      ];
      const small = syntheticWorld({ repositories: 40, imagesPerRepository: IMAGES, sources: 20, planted: 8 });
      const smallEcr = await startEcrEmulator({
        synthetic: small.store,
        distribution: small.distribution,
        latencyMs: LATENCY,
        recordCalls: false,
      });
      emulators.push(smallEcr);
      const smallInput = join(dir, 'small-input.txt');
      await writeFile(smallInput, small.sourcePaths.map((p) => `${new URL(smallEcr.endpoint).host}/${p}:1`).join('\n'));
      for (const [name, throttle] of throttles) {
        for (const mode of ['standard', 'adaptive']) {
          smallEcr.setThrottle(throttle);
          const r = await runScanner(bundle, smallEcr, smallInput, dir, [...concurrency], { AWS_RETRY_MODE: mode });
          rows.push([
            `throttled (${name}), ${small.store.imageCount} images, retry mode ${mode}`,
            `${s(r.wallMs)}, ${r.calls.throttled} throttled, exit ${r.code}, ${foundExactlyPlanted(r.report, small, repoSet(40)) ? 'correct' : 'WRONG'}`,
          ]);
        }
      }
    }

    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
    if (cold.code !== 0) process.stderr.write(`scanner stderr:\n${cold.stderr}\n`);
  } finally {
    await Promise.allSettled(emulators.map((e) => e.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
