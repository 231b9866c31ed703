/** `npm run demo` on a fresh clone: a complete scan with nothing but Node. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MigrationPlanJson } from '../../scanner/plan/plan-json';
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
    expect(run.stdout).toContain('7 source(s): 3 present, 1 partial, 1 absent, 2 error');
    expect(run.stdout).toContain(`${join(out, 'report.md')}`);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.sources.map((s) => s.status)).toEqual(['present', 'present', 'partial', 'absent', 'error', 'error', 'present']);
    // Held only archived: present, the match says so, report.html says how to restore it.
    expect(report.sources[6]!.images[0]!.matches).toEqual([
      expect.objectContaining({ repository: 'archive/queue', imageStatus: 'ARCHIVED' }),
    ]);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('--repository-name archive/queue');
    // The signed image's signature and SBOM are artifacts: counted, never a duplicate of each other.
    expect(report.ecr[0]!.kinds).toMatchObject({ artifact: 2 });
    expect(report.sources[0]!.duplicateLines).toEqual([8]);
    // Named three ways: input.txt twice and the Deployment of deployment.yaml; demo/tool:1.36 also by the expansion line.
    expect(report.sources[0]!.origins).toEqual([
      { file: join(out, 'input.txt'), line: 2 },
      { file: join(out, 'input.txt'), line: 8 },
      { file: join(out, 'deployment.yaml'), line: 11, kind: 'Deployment', namespace: 'shop', name: 'web', container: 'web' },
    ]);
    expect(report.sources[3]!.origins).toEqual([
      { file: join(out, 'input.txt'), line: 5 },
      { file: join(out, 'input.txt'), line: 10, expansion: expect.stringMatching(/\/demo\/tool:\/\^1\\\.\/$/) },
    ]);
    expect(report.expansions).toEqual([expect.objectContaining({ line: 10, repositories: 1, sources: 1 })]);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('deployment.yaml: Deployment shop/web, container web');
    // The cache image is in ECR twice: byte for byte in backup/cache, re-pushed as Docker v2 in mirror/cache.
    expect(report.sources[1]!.images[0]!.matches.map((m) => [m.repository, m.matchedBy])).toEqual([
      ['backup/cache', 'manifest'],
      ['mirror/cache', 'imageId'],
    ]);
    expect(report.ecrDuplicates!.map((d) => d.locations.map((l) => l.repository))).toEqual([['backup/cache', 'mirror/cache']]);
    expect(await readFile(join(out, 'missing.txt'), 'utf8')).toMatch(/demo\/db:16\n.*demo\/tool:1\.36\n$/);
    // The migration plan and the page a person opens.
    expect(run.stdout).toContain(`${join(out, 'report.html')}`);
    const plan = JSON.parse(await readFile(join(out, 'plan.json'), 'utf8')) as MigrationPlanJson;
    expect(plan.copies.map((c) => [c.line, c.status, c.targetRepository, c.targetTag, c.platforms])).toEqual([
      [4, 'partial', 'demo/db', '16', ['linux/arm64/v8']],
      [5, 'absent', 'demo/tool', '1.36', ['linux/amd64']],
    ]);
    expect(plan.createRepositories).toEqual(['demo/db', 'demo/tool']);
    expect(await readFile(join(out, 'copy.sh'), 'utf8')).toContain("create_repository 'demo/db'");
    expect(await readFile(join(out, 'regsync.yml'), 'utf8')).toContain('/demo/tool:1.36"\n    type: image\n');
    expect(await readFile(join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
