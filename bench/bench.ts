/**
 * `npm run bench`: the scanner against a synthetic ECR registry of 100,000
 * images (200 repositories x 500) with 20 ms per API call, cold and with the
 * digest cache, beside the hand-written skopeo + AWS CLI loop on a 1,000-image
 * subset. Prints one table. Not a test: it asserts nothing, it measures.
 *
 * Beside each scanner run stands the floor (bench/floor.ts): the same calls
 * over plain HTTP with JSON.parse and nothing else, so the table shows what
 * the scanner costs above the wire.
 *
 * Options: --repositories N --images N --latency MS --concurrency N
 *          --peer-images N (0 skips the peer) --retry-modes (compare SDK retry modes under throttling)
 *          --sweep (concurrency 16 vs 64 at 20 and 80 ms a call)
 *          --token-bucket RATE[,RATE…] (cold runs with BatchGetImage limited to RATE calls/s; 2000 is ECR's quota)
 *          --org-registries N (an organization run: N registries of --repositories x --images each, over
 *          two regions per account (an odd N is rounded up), read with --organization through the STS and Organizations emulators, beside the floor)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { parseArgs } from 'node:util';
import { Report } from '../scanner/report/report-types';
import { bundleScanner } from '../scripts/bundle-scanner';
import { EcrEmulator, startEcrEmulator, ThrottleOptions } from '../emulator/ecr/emulator';
import { FAKE_AWS, ISOLATED_AWS_ENV } from '../emulator/stand-in-env';
import { startOrganizationsEmulator } from '../emulator/organizations/emulator';
import { startStsEmulator } from '../emulator/sts/emulator';
import { emulatorAccessKeyId } from '../emulator/sts/identity';
import { DEFAULT_MEMBER_ROLE_NAME } from '../scanner/scope/scope';
import { apiLowerBound, SyntheticWorld, syntheticWorld } from '../emulator/synthetic-world';

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
    /** The plan's two reads of the target registry (DescribePullThroughCacheRules, GetAccountSetting): outside the inventory's bound. */
    targetSettings: number;
    total: number;
    throttled: number;
  };
  report: Report | undefined;
  stderr: string;
}

/** The command line, read once; see the header for what each option does. */
interface BenchOptions {
  repositories: number;
  images: number;
  latency: number;
  /** The scanner's --concurrency and the floor's; the scanner's own default when not given. */
  concurrency: number;
  /** `--concurrency N` for the scanner when given, else nothing (the scanner's default). */
  concurrencyArgs: string[];
  peerImages: number;
  retryModes: boolean;
  sweep: boolean;
  tokenBucketRates: number[];
  tokenBucketConcurrency: string;
  orgRegistries: number;
}

function readOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      repositories: { type: 'string', default: '200' },
      images: { type: 'string', default: '500' },
      latency: { type: 'string', default: '20' },
      concurrency: { type: 'string' },
      'peer-images': { type: 'string', default: '1000' },
      'retry-modes': { type: 'boolean', default: false },
      sweep: { type: 'boolean', default: false },
      'token-bucket': { type: 'string' },
      'token-bucket-concurrency': { type: 'string', default: '64' },
      'org-registries': { type: 'string', default: '0' },
    },
  });
  return {
    repositories: Number(values.repositories),
    images: Number(values.images),
    latency: Number(values.latency),
    concurrency: Number(values.concurrency ?? '16'),
    concurrencyArgs: values.concurrency ? ['--concurrency', values.concurrency] : [],
    peerImages: Number(values['peer-images']),
    retryModes: values['retry-modes'] ?? false,
    sweep: values.sweep ?? false,
    tokenBucketRates: (values['token-bucket'] ?? '').split(',').filter(Boolean).map(Number),
    tokenBucketConcurrency: values['token-bucket-concurrency'] ?? '64',
    orgRegistries: Number(values['org-registries']),
  };
}

/** What every run kind works with: the bundles it runs, the scratch directory, the options, and the emulators to stop at the end. */
interface Bench {
  bundle: string;
  floorScript: string;
  dir: string;
  options: BenchOptions;
  emulators: EcrEmulator[];
}

type Row = [string, string];

let runNumber = 0;

function runScanner(
  bundle: string,
  emulator: EcrEmulator,
  input: string,
  dir: string,
  extra: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const out = join(dir, `out-${++runNumber}`);
  return runNode([bundle, '--input', input, '--out', out, '--quiet', ...extra], emulator, dir, env, join(out, 'report.json'));
}

/** The floor: the scanner's calls over plain HTTP, nothing else; `registries` as `accessKeyId@region`, default the emulator's own. */
function runFloor(floor: string, emulator: EcrEmulator, dir: string, concurrency: number, registries?: string[]): Promise<RunResult> {
  return runNode([floor, emulator.endpoint, String(concurrency), ...(registries ? [registries.join(',')] : [])], emulator, dir, {});
}

async function runNode(
  args: string[],
  emulator: EcrEmulator,
  dir: string,
  env: Record<string, string>,
  reportPath?: string,
): Promise<RunResult> {
  const rusage = join(dir, `rusage-${++runNumber}.json`);
  emulator.resetCalls();
  const started = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each scanner run there.
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    // BENCH_NODE_FLAGS="--max-semi-space-size=32 …" tries V8 settings on every measured process.
    profile.push(...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean));
    const child = spawn(process.execPath, [...profile, '--require', join(__dirname, 'rusage-preload.cjs'), ...args], {
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
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  const wallMs = performance.now() - started;
  const usage = JSON.parse(await readFile(rusage, 'utf8')) as { maxRssKb: number; userMs: number; systemMs: number };
  let report: Report | undefined;
  try {
    report = reportPath ? (JSON.parse(await readFile(reportPath, 'utf8')) as Report) : undefined;
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
      targetSettings: c.DescribePullThroughCacheRules + c.GetAccountSetting,
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

/**
 * The report's answers: all of it but when it was made and registries[], the source
 * requests made, which a warm cache exists to save.
 */
const answers = (r: Report | undefined) => ({ ...r, generatedAt: '', registries: undefined });

/** The same answers in both reports. */
const sameReport = (a: Report | undefined, b: Report | undefined) =>
  a !== undefined && b !== undefined && JSON.stringify(answers(a)) === JSON.stringify(answers(b));

/** The first line where two reports' answers differ, to say why a comparison failed. */
function firstDifference(a: Report | undefined, b: Report | undefined): string {
  const la = JSON.stringify(answers(a), null, 1).split('\n');
  const lb = JSON.stringify(answers(b), null, 1).split('\n');
  const i = la.findIndex((line, k) => line !== lb[k]);
  return i < 0 ? (la.length === lb.length ? 'none' : 'length') : `line ${i}: ${la.slice(i - 8, i + 1).join(' ')} vs ${lb[i]?.trim()}`;
}

/** The inventory's calls: every call but the plan's reads of the target's settings, which the lower bound leaves out. */
function inventoryCalls(run: RunResult): number {
  return run.calls.total - run.calls.targetSettings;
}

/**
 * A re-scan's calls beside the cold scan's. ECR tells no repository's change without listing it
 * (no change time, no ETag), so a re-scan still lists every repository of every storage class:
 * this share, not the digest cache, bounds how much of the cold scan a re-scan can save.
 */
const rescanCalls = (warm: RunResult, cold: RunResult): Row => [
  're-scan: ECR inventory calls / cold ones (the listing a re-scan cannot skip)',
  `${inventoryCalls(warm)} / ${inventoryCalls(cold)} = ${((100 * inventoryCalls(warm)) / inventoryCalls(cold)).toFixed(0)}%`,
];

const mb = (r: RunResult) => `${r.maxRssMb.toFixed(0)} MB`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/** One line of the side-by-side table: wall, CPU, RSS and the ratios to the floor. */
function sideBySide(name: string, run: RunResult, floor: RunResult | undefined): [string, string] {
  const vs = floor ? `   wall ${ratio(run.wallMs, floor.wallMs)}, CPU ${ratio(run.cpuMs, floor.cpuMs)} of the floor` : '';
  return [name, `${s(run.wallMs).padStart(8)} wall ${s(run.cpuMs).padStart(8)} CPU ${mb(run).padStart(8)} peak RSS${vs}`];
}

async function bundleFloor(dir: string): Promise<string> {
  const outfile = join(dir, 'floor.js');
  await esbuild.build({
    entryPoints: [join(__dirname, 'floor.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: true,
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * An organization: `registries` registries (accounts x us-east-1/eu-west-1), each the synthetic
 * registry of the single run with its own seed and the same planted sources, so every source is
 * found in every registry. The caller is the first account; the others are read through their
 * member role (STS emulator), the accounts listed by the Organizations emulator.
 */
/** CPU and peak RSS per image of a run over `images` images. */
const perImage = (r: RunResult, images: number) =>
  `${((r.cpuMs * 1000) / images).toFixed(1)} us CPU, ${((r.maxRssMb * 1024 * 1024) / images).toFixed(0)} B RSS`;

async function organizationRun(bench: Bench): Promise<Row[]> {
  const { bundle, floorScript, dir, emulators } = bench;
  const { repositories, images: imagesPerRepository, latency, concurrency, orgRegistries: registries } = bench.options;
  const regions = ['us-east-1', 'eu-west-1'];
  const accounts = Array.from({ length: Math.ceil(registries / regions.length) }, (_, k) => String(100000000001 + k));
  // --organization scans every account in every region: an odd count is rounded up to whole accounts.
  const places = accounts.flatMap((accountId) => regions.map((region) => ({ accountId, region })));
  process.stderr.write(
    `bench: organization of ${places.length} registries (${regions.length} regions per account) x ${repositories * imagesPerRepository} images\n`,
  );
  const worlds = places.map((_, k) => syntheticWorld({ repositories, imagesPerRepository, sources: 20, planted: 8, seed: 1000 + k }));
  const [first, ...rest] = places;
  const ecr = await startEcrEmulator({
    accountId: first!.accountId,
    region: first!.region,
    synthetic: worlds[0]!.store,
    distribution: worlds[0]!.distribution,
    registries: rest.map((p, k) => ({ ...p, synthetic: worlds[k + 1]!.store })),
    latencyMs: latency,
    recordCalls: false,
  });
  emulators.push(ecr);
  const sts = await startStsEmulator({
    defaultAccountId: first!.accountId,
    roles: accounts.map((a) => `arn:aws:iam::${a}:role/${DEFAULT_MEMBER_ROLE_NAME}`),
  });
  const organizations = await startOrganizationsEmulator({
    managementAccountId: first!.accountId,
    accounts: accounts.map((id) => ({ id, name: `bench-${id}`, state: 'ACTIVE' as const })),
  });
  try {
    const input = join(dir, 'org-input.txt');
    await writeFile(input, worlds[0]!.sourcePaths.map((p) => `${new URL(ecr.endpoint).host}/${p}:1`).join('\n'));
    const env = {
      AWS_ACCESS_KEY_ID: emulatorAccessKeyId(first!.accountId),
      AWS_ENDPOINT_URL_STS: sts.endpoint,
      AWS_ENDPOINT_URL_ORGANIZATIONS: organizations.endpoint,
    };
    const args = ['--organization', ...regions.flatMap((r) => ['--region', r]), '--concurrency', String(concurrency)];
    const cacheFile = join(dir, 'org-digest-cache.json');
    const floor = await runFloor(
      floorScript,
      ecr,
      dir,
      concurrency,
      places.map((p) => `${emulatorAccessKeyId(p.accountId, 'FLOR')}@${p.region}`),
    );
    const cold = await runScanner(bundle, ecr, input, dir, [...args, '--cache', cacheFile], env);
    if (cold.code !== 0) process.stderr.write(`org scanner stderr:\n${cold.stderr}\n`);
    const warm = await runScanner(bundle, ecr, input, dir, [...args, '--cache', cacheFile], env);
    const images = worlds.reduce((n, w) => n + w.store.imageCount, 0);
    const bound = worlds.reduce((n, w) => n + apiLowerBound(w.store).total, 0);
    const expectedMatches = worlds[0]!.sourcePaths.reduce((n, p) => n + worlds[0]!.expected.get(p)!.length, 0) * places.length;
    const readAll = cold.report?.ecr.every((e) => e.error === undefined && e.images === imagesPerRepository * repositories) ?? false;
    return [
      [
        'organization',
        `${images} images in ${places.length} registries (${accounts.length} accounts x ${regions.length} regions), ${latency} ms per call`,
      ],
      sideBySide('org floor: plain HTTP + JSON.parse + blob lists kept, same calls', floor, undefined),
      sideBySide('org scanner cold (--organization, --cache none yet)', cold, floor),
      sideBySide('org scanner re-scan (--cache)', warm, floor),
      ['org per image: floor / cold / re-scan', `${perImage(floor, images)} / ${perImage(cold, images)} / ${perImage(warm, images)}`],
      [
        'org ECR calls: floor / cold inventory / lower bound',
        `${floor.calls.total} / ${inventoryCalls(cold)} / ${bound} (and ${cold.calls.targetSettings} reads of the target's settings)`,
      ],
      [
        'org cold: exit, every registry read, matches found / expected',
        `${cold.code}, ${readAll ? 'yes' : 'NO'}, ${matchCount(cold.report)} / ${expectedMatches} (${cold.report?.ecrDuplicateSummary?.images ?? '?'} ECR duplicates)`,
      ],
      [
        'org re-scan: BatchGetImage calls, same report as cold',
        `${warm.calls.BatchGetImage}, ${sameReport(cold.report, warm.report) ? 'yes' : `NO (${firstDifference(cold.report, warm.report)})`} (share of cold wall ${((100 * warm.wallMs) / cold.wallMs).toFixed(0)}%)`,
      ],
      rescanCalls(warm, cold),
    ];
  } finally {
    await Promise.allSettled([sts.stop(), organizations.stop()]);
  }
}

/** A single-registry synthetic world behind its own emulator, and the scanner's input naming its sources. */
async function startWorld(
  bench: Bench,
  world: SyntheticWorld,
  inputName: string,
  finalNewline = false,
): Promise<{ ecr: EcrEmulator; input: string }> {
  const ecr = await startEcrEmulator({
    synthetic: world.store,
    distribution: world.distribution,
    latencyMs: bench.options.latency,
    recordCalls: false,
  });
  bench.emulators.push(ecr);
  const host = new URL(ecr.endpoint).host;
  const input = join(bench.dir, inputName);
  await writeFile(input, world.sourcePaths.map((p) => `${host}/${p}:1`).join('\n') + (finalNewline ? '\n' : ''));
  return { ecr, input };
}

/** The registry of the main run, and its floor and cold scan, which the other run kinds compare with. */
interface MainRun {
  ecr: EcrEmulator;
  input: string;
  /** Images in the main registry. */
  images: number;
  floor: RunResult;
  cold: RunResult;
  /** The fewest ECR calls that read the registry. */
  bound: ReturnType<typeof apiLowerBound>;
  rows: Row[];
}

/** The main run: floor, cold scan and re-scan with the digest cache over --repositories x --images. */
async function mainRun(bench: Bench): Promise<MainRun> {
  const { bundle, floorScript, dir, options } = bench;
  const { repositories, images: perRepository, latency, concurrency, concurrencyArgs } = options;
  const world = syntheticWorld({ repositories, imagesPerRepository: perRepository, sources: 20, planted: 8 });
  const { ecr, input } = await startWorld(bench, world, 'input.txt');
  const cacheFile = join(dir, 'digest-cache.json');
  const bound = apiLowerBound(world.store);
  const images = world.store.imageCount;

  process.stderr.write(`bench: ${repositories} repositories x ${perRepository} images = ${images} images, ${latency} ms per call\n`);
  const floor = await runFloor(floorScript, ecr, dir, concurrency);
  const cold = await runScanner(bundle, ecr, input, dir, ['--cache', cacheFile, ...concurrencyArgs]);
  const warm = await runScanner(bundle, ecr, input, dir, ['--cache', cacheFile, ...concurrencyArgs]);
  const rows: Row[] = [
    ['ECR images', `${images} in ${repositories} repositories, ${latency} ms per call, concurrency ${concurrency}`],
    sideBySide('floor: plain HTTP + JSON.parse + blob lists kept, same calls', floor, undefined),
    sideBySide('scanner cold (--cache, none yet)', cold, floor),
    sideBySide('scanner re-scan (--cache)', warm, floor),
    ['per image: floor / cold / re-scan', `${perImage(floor, images)} / ${perImage(cold, images)} / ${perImage(warm, images)}`],
    [
      'calls: floor / cold inventory / lower bound',
      `${floor.calls.total} / ${inventoryCalls(cold)} / ${bound.total} (cold: ${cold.calls.DescribeRepositories} DescribeRepositories, ` +
        `${cold.calls.ListImages} ListImages, ${cold.calls.DescribeImages} DescribeImages, ${cold.calls.BatchGetImage} BatchGetImage; ` +
        `and ${cold.calls.targetSettings} reads of the target's settings)`,
    ],
    [
      'cold: exit status, found exactly the planted matches',
      `${cold.code}, ${foundExactlyPlanted(cold.report, world, repoSet(repositories)) ? 'yes' : 'NO'} (${matchCount(cold.report)} matches, ` +
        `${cold.report?.ecrDuplicateSummary?.images ?? '?'} ECR duplicates freeing ${cold.report?.ecrDuplicateSummary?.freedBytes ?? '?'} bytes, ` +
        `${cold.report?.ecr[0]?.images ?? '?'} images counted)`,
    ],
    [
      're-scan: BatchGetImage calls, same report as cold',
      `${warm.calls.BatchGetImage}, ${sameReport(cold.report, warm.report) ? 'yes' : `NO (${firstDifference(cold.report, warm.report)})`} (share of cold wall ${((100 * warm.wallMs) / cold.wallMs).toFixed(0)}%)`,
    ],
    rescanCalls(warm, cold),
  ];
  return { ecr, input, images, floor, cold, bound, rows };
}

/** --sweep: the main registry at concurrency 16 and 64, 20 and 80 ms a call, each beside its floor. */
async function sweepRuns(bench: Bench, primary: MainRun): Promise<Row[]> {
  const { bundle, floorScript, dir } = bench;
  const { ecr, input, cold } = primary;
  const rows: Row[] = [];
  for (const latency of [20, 80]) {
    ecr.setLatency(latency);
    for (const c of [16, 64]) {
      const f = await runFloor(floorScript, ecr, dir, c);
      const r = await runScanner(bundle, ecr, input, dir, ['--concurrency', String(c)]);
      rows.push(sideBySide(`concurrency ${c}, ${latency} ms a call: floor`, f, undefined));
      rows.push(sideBySide(`concurrency ${c}, ${latency} ms a call: scanner (no cache)`, r, f));
      if (!sameReport(cold.report, r.report)) rows.push([`concurrency ${c}, ${latency} ms: report`, 'DIFFERS from cold']);
    }
  }
  ecr.setLatency(bench.options.latency);
  return rows;
}

/**
 * --token-bucket: cold scans of the main registry with BatchGetImage limited to each rate.
 * ECR's BatchGetImage quota is a token bucket (2,000 calls/s a region); a lower rate shows it biting here.
 */
async function tokenBucketRuns(bench: Bench, primary: MainRun): Promise<Row[]> {
  const { bundle, dir, options } = bench;
  const { ecr, input, floor, cold, bound } = primary;
  const c = options.tokenBucketConcurrency;
  const rows: Row[] = [];
  for (const rate of options.tokenBucketRates) {
    ecr.setThrottle({ ratePerSecond: rate, burst: Math.max(1, Math.round(rate / 10)), operations: ['BatchGetImage'] });
    const t = await runScanner(bundle, ecr, input, dir, ['--concurrency', c]);
    ecr.setThrottle(undefined);
    const answered = inventoryCalls(t) - t.calls.throttled;
    rows.push(
      sideBySide(`token bucket ${rate}/s on BatchGetImage, concurrency ${c}`, t, floor),
      [
        `token bucket ${rate}/s: calls answered / lower bound, throttled`,
        `${answered} / ${bound.total} (${t.calls.DescribeRepositories} / ${t.calls.ListImages} / ${t.calls.DescribeImages} / ${t.calls.BatchGetImage - t.calls.throttled}), ` +
          `${t.calls.throttled} throttled and retried, exit ${t.code}, ${((t.calls.BatchGetImage * 1000) / t.wallMs).toFixed(0)} BatchGetImage calls/s`,
      ],
      [`token bucket ${rate}/s: report identical to the unthrottled cold run`, sameReport(cold.report, t.report) ? 'yes' : 'NO'],
    );
  }
  return rows;
}

/** --peer-images: the scanner beside the hand-written skopeo + AWS CLI loop on a registry of about that many images. */
async function peerRun(bench: Bench): Promise<Row[]> {
  const { bundle, dir, options } = bench;
  const peerRepos = Math.max(1, Math.round(options.peerImages / options.images));
  const peerWorld = syntheticWorld({ repositories: peerRepos, imagesPerRepository: options.images, sources: 20, planted: 8 });
  const { ecr: peerEcr, input: peerInput } = await startWorld(bench, peerWorld, 'peer-input.txt', true);
  const ours = await runScanner(bundle, peerEcr, peerInput, dir, [...options.concurrencyArgs]);
  process.stderr.write(`bench: peer loop over ${peerWorld.store.imageCount} images (one AWS CLI call per image; this takes minutes)\n`);
  const peer = await runPeer(peerEcr.endpoint, peerInput);
  return [
    [`peer subset: ${peerWorld.store.imageCount} images, scanner wall time`, `${s(ours.wallMs)} (${matchCount(ours.report)} matches)`],
    ['peer subset: skopeo + AWS CLI loop wall time', `${s(peer.wallMs)} (${peer.matches} matches, exit ${peer.code})`],
    ['peer subset: speed-up', `${(peer.wallMs / ours.wallMs).toFixed(0)}x`],
  ];
}

/** --retry-modes: the SDK's standard and adaptive retry modes under two kinds of throttling, on 40 repositories. */
async function retryModeRuns(bench: Bench): Promise<Row[]> {
  const { bundle, dir, options } = bench;
  const throttles: Array<[string, ThrottleOptions]> = [
    ['every 10th call', { everyNth: 10 }],
    ['token bucket 100/s, burst 20', { ratePerSecond: 100, burst: 20 }],
  ];
  const small = syntheticWorld({ repositories: 40, imagesPerRepository: options.images, sources: 20, planted: 8 });
  const { ecr: smallEcr, input: smallInput } = await startWorld(bench, small, 'small-input.txt');
  const rows: Row[] = [];
  for (const [name, throttle] of throttles) {
    for (const mode of ['standard', 'adaptive']) {
      smallEcr.setThrottle(throttle);
      const r = await runScanner(bundle, smallEcr, smallInput, dir, [...options.concurrencyArgs], { AWS_RETRY_MODE: mode });
      rows.push([
        `throttled (${name}), ${small.store.imageCount} images, retry mode ${mode}`,
        `${s(r.wallMs)}, ${r.calls.throttled} throttled, exit ${r.code}, ${foundExactlyPlanted(r.report, small, repoSet(40)) ? 'correct' : 'WRONG'}`,
      ]);
    }
  }
  return rows;
}

/** The result table on stdout: one row a line, names padded to one column. */
function printTable(rows: Row[]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
}

async function main(): Promise<void> {
  const options = readOptions();
  const dir = await mkdtemp(join(tmpdir(), 'ecr-scan-bench-'));
  const emulators: EcrEmulator[] = [];
  try {
    // The same bundle CodeBuild runs.
    // With BENCH_CPU_PROF the bundle is not minified, so the profile names functions.
    const { entry: bundle } = await bundleScanner(join(dir, 'scanner'), { minify: !process.env.BENCH_CPU_PROF });
    const bench: Bench = { bundle, floorScript: await bundleFloor(dir), dir, options, emulators };
    const primary = await mainRun(bench);
    const rows = [...primary.rows];
    if (options.sweep) rows.push(...(await sweepRuns(bench, primary)));
    rows.push(...(await tokenBucketRuns(bench, primary)));
    if (options.orgRegistries > 0) {
      rows.push(...(await organizationRun(bench)));
    }
    if (options.peerImages > 0) rows.push(...(await peerRun(bench)));
    if (options.retryModes) rows.push(...(await retryModeRuns(bench)));

    printTable(rows);
    if (primary.cold.code !== 0) process.stderr.write(`scanner stderr:\n${primary.cold.stderr}\n`);
    if (primary.floor.code !== 0) process.stderr.write(`floor stderr:\n${primary.floor.stderr}\n`);
  } finally {
    await Promise.allSettled(emulators.map((e) => e.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
