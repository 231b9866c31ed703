/** `npm run demo` on a fresh clone: a complete scan with nothing but Node. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Report } from '../../scanner/report/report-types';
import { REPO_ROOT } from '../support/run-cli';

test('the demo scans the sample input against the bundled stand-ins and reports every status', async () => {
  const out = await mkdtemp(join(tmpdir(), 'demo-'));
  try {
    const run = spawnSync('npm', ['run', '-s', 'demo', '--', out], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      // No AWS settings at all: the demo must not need any.
      env: { PATH: process.env.PATH, HOME: out },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('6 source(s): 2 present, 1 partial, 1 absent, 2 error');
    expect(run.stdout).toContain(`${join(out, 'report.md')}`);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.sources.map((s) => s.status)).toEqual(['present', 'present', 'partial', 'absent', 'error', 'error']);
    expect(report.sources[0]!.duplicateLines).toEqual([8]);
    expect(report.sources[1]!.images[0]!.matches[0]!.matchedBy).toBe('imageId');
    expect(await readFile(join(out, 'missing.txt'), 'utf8')).toMatch(/demo\/db:16\n.*demo\/tool:1\.36\n$/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
