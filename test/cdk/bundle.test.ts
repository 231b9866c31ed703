/** The scanner as the build gets it: one file that plain node runs with no node_modules anywhere. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { BundleResult, bundleScanner } from '../../scripts/bundle-scanner';
import { synth } from './synth';

let bundle: BundleResult;
let isolated: string;

/** True when some directory from `dir` up to the root has node_modules, which node would search. */
function nodeModulesAbove(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return true;
    if (d === parse(d).root) return false;
  }
}

beforeAll(async () => {
  bundle = await bundleScanner(mkdtempSync(join(tmpdir(), 'scanner-bundle-')));
  // A copy in a fresh directory, so that nothing beside or above it can be resolved.
  isolated = mkdtempSync(join(tmpdir(), 'scanner-isolated-'));
  cpSync(bundle.dir, isolated, { recursive: true });
});

test('the bundle directory holds cli.js, its source map and scan.sh, nothing else', () => {
  expect(readdirSync(bundle.dir).sort()).toEqual(['cli.js', 'cli.js.map', 'scan.sh']);
  expect(readFileSync(join(bundle.dir, 'scan.sh'), 'utf8')).toBe(readFileSync(join(__dirname, '..', '..', 'buildspec', 'scan.sh'), 'utf8'));
  expect(statSync(join(bundle.dir, 'scan.sh')).mode & 0o111).not.toBe(0);
});

test('it requires nothing but Node built-ins (the AWS SDK is inside)', () => {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  expect(bundle.externalImports.length).toBeGreaterThan(0);
  expect(bundle.externalImports.filter((m) => !builtins.has(m))).toEqual([]);
});

test('plain node runs it from an empty directory and prints --help', () => {
  expect(nodeModulesAbove(isolated)).toBe(false);
  const cwd = mkdtempSync(join(tmpdir(), 'scanner-cwd-'));
  const r = spawnSync(process.execPath, [join(isolated, 'cli.js'), '--help'], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: cwd },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^Usage: /);
  expect(r.stdout).toContain('--s3-uri');
  expect(r.stdout).toContain('--execution-id');
  const kib = (bundle.bytes / 1024).toFixed(0);
  const mapKib = (statSync(`${bundle.entry}.map`).size / 1024).toFixed(0);
  console.log(`scanner bundle: cli.js ${kib} KiB (${bundle.bytes} bytes), cli.js.map ${mapKib} KiB`);
});

test("--version prints package.json's version, which the bundle carries inside", () => {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  const r = spawnSync(process.execPath, [join(isolated, 'cli.js'), '--version'], {
    cwd: isolated,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(`${version}\n`);
});

test('a bad argument exits 2 as the contract says', () => {
  const r = spawnSync(process.execPath, [join(isolated, 'cli.js'), '--concurrency', '0'], {
    cwd: isolated,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('--concurrency');
});

test('stays small enough to start fast on Lambda compute (< 2 MiB)', () => {
  expect(bundle.bytes).toBeLessThan(2 * 1024 * 1024);
});

test('the stack ships that directory as the Scanner asset', () => {
  const s = synth({}, { bundleDir: bundle.dir });
  const [pipeline] = Object.values(s.template.findResources('AWS::CodePipeline::Pipeline')) as Record<string, any>[];
  const key = pipeline!.Properties.Stages[0].Actions[1].Configuration.S3ObjectKey as string;
  const staged = join(s.outdir, `asset.${key.replace(/\.zip$/, '')}`);
  expect(readdirSync(staged).sort()).toEqual(['cli.js', 'cli.js.map', 'scan.sh', 'settings.env']);
});
