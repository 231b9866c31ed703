/**
 * The installable CLI: `npm pack` builds the bundle (prepack) into
 * a package whose `bin` works from an empty folder after `npm install
 * <tarball>`, with nothing else installed: it answers --help, and a failure is
 * a message with the contract's exit status, not a stack trace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ISOLATED_AWS_ENV, REPO_ROOT } from '../support/run-cli';

let work = '';
let bin = '';
let packed: string[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cli-package-'));
  const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT, env: npmEnv, encoding: 'utf8' });
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info!.files.map((f) => f.path).sort();
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), '{"name":"try-it","version":"1.0.0","private":true}\n');
  // --offline: the package needs nothing from the registry, and the test must not reach it.
  execFileSync('npm', ['install', '--offline', join(work, info!.filename)], { cwd: app, env: npmEnv, encoding: 'utf8' });
  bin = join(app, 'node_modules', '.bin', 'ecr-duplicate-scanner');
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[]) =>
  spawnSync(bin, args, {
    cwd: work,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...ISOLATED_AWS_ENV },
    encoding: 'utf8',
    timeout: 30_000,
  });

test('the package holds the bundle, its source map and the README, nothing else', () => {
  expect(packed).toEqual(['README.md', 'dist/scanner/cli.js', 'dist/scanner/cli.js.map', 'package.json']);
});

test('installed from the tarball with no dependencies, the bin answers --help', () => {
  expect(readdirSync(join(work, 'app', 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['ecr-duplicate-scanner']);
  const help = run(['--help']);
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/--input <file>/);
});

test("the installed bin's --version is the packed package.json's", () => {
  const installed = JSON.parse(readFileSync(join(work, 'app', 'node_modules', 'ecr-duplicate-scanner', 'package.json'), 'utf8')) as {
    version: string;
  };
  const r = run(['--version']);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(`${installed.version}\n`);
});

test('bad arguments and an unreadable input are messages with exit status 2, never a stack trace', () => {
  for (const args of [
    ['--concurrency', '0'],
    ['--input', join(work, 'no-such-file.txt'), '--out', join(work, 'out')],
  ]) {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^(error|warning): /m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }
});
