/**
 * copy.sh and regsync.yml from a plan, run for real by bash with a fake
 * `skopeo` and `aws` on PATH that record their argv; hostile values included.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCopyScript } from '../../scanner/plan/copy-script';
import { MigrationPlan, PlannedCopy } from '../../scanner/plan/plan-types';
import { accountTransfer } from '../../scanner/plan/transfer';
import { parseReference } from '../../scanner/oci/reference';
import { renderRegsync } from '../../scanner/plan/regsync';
import { commentText, shellQuote } from '../../scanner/plan/shell';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

const copy = (over: Partial<PlannedCopy>): PlannedCopy => ({
  line: 1,
  input: 'quay.io/org/app:1',
  reference: parseReference('quay.io/org/app:1'),
  sourceDigest: d('a'),
  status: 'absent',
  platforms: ['linux/amd64'],
  targetRepository: 'org/app',
  targetTag: '1',
  repositoryExists: false,
  bytes: 0,
  uploadBytes: 0,
  mountableBytes: 0,
  pulls: 1,
  ...over,
});
/** A plan's transfer with nothing to move (what the renderers here do not look at). */
const transfer = accountTransfer([], [], '').transfer;

const plan: MigrationPlan = {
  schemaVersion: 1,
  target: { registry: REGISTRY, prefix: '' },
  copies: [
    copy({}),
    copy({
      line: 2,
      input: 'nginx:1.25',
      reference: parseReference('docker.io/library/nginx:1.25'),
      sourceDigest: d('b'),
      status: 'partial',
      platforms: ['linux/arm64/v8'],
      targetRepository: 'library/nginx',
      targetTag: '1.25',
      repositoryExists: true,
    }),
    copy({
      line: 3,
      input: 'ghcr.io/o/t@' + d('c'),
      reference: parseReference('ghcr.io/o/t@' + d('c')),
      sourceDigest: d('c'),
      targetRepository: 'o/t',
      targetTag: null,
    }),
    copy({
      line: 4,
      input: 'quay.io/x/y:1',
      reference: parseReference('quay.io/x/y:1'),
      targetRepository: 'x/y',
      conflict: 'x/y:1 is also claimed by line 5',
    }),
    copy({
      line: 6,
      input: 'quay.io/a__b:1',
      reference: parseReference('quay.io/a__b:1'),
      targetRepository: 'a__b',
      invalidTarget: 'not a valid ECR name',
    }),
  ],
  createRepositories: ['o/t', 'org/app'],
  transfer,
};

/** The marker a hostile value tries to create; it must never exist. */
const HOSTILE = (marker: string) => `x'"$(touch ${marker})\`touch ${marker}\`;touch ${marker}\n touch ${marker} #`;

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'copy-script-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** A fake command that records each call's argv (NUL-separated) and fails when an argument contains $FAIL_ON. */
function fakeBin(): string {
  const bin = join(work, 'bin');
  execFileSync('mkdir', ['-p', bin, join(work, 'calls')]);
  for (const name of ['skopeo', 'aws']) {
    const path = join(bin, name);
    writeFileSync(
      path,
      [
        '#!/bin/bash',
        `n=$(ls "${work}/calls" | wc -l)`,
        `printf '%s\\0' "$(basename "$0")" "$@" > "${work}/calls/$(printf %03d "$n")"`,
        'for a in "$@"; do',
        '  if [ -n "${FAIL_ON:-}" ] && [[ "$a" == *"$FAIL_ON"* ]]; then echo "fake failure for $a" >&2; exit 1; fi',
        '  if [ -n "${EXISTS_ON:-}" ] && [[ "$a" == "$EXISTS_ON" ]]; then',
        '    echo "An error occurred (RepositoryAlreadyExistsException) when calling the CreateRepository operation" >&2; exit 254',
        '  fi',
        'done',
        'echo "{}"',
      ].join('\n'),
    );
    chmodSync(path, 0o755);
  }
  return bin;
}

function calls(): string[][] {
  const dir = join(work, 'calls');
  return readdirSync(dir)
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8').split('\0').slice(0, -1));
}

function runScript(script: string, env: Record<string, string> = {}) {
  const path = join(work, 'copy.sh');
  writeFileSync(path, script);
  const bin = fakeBin();
  return spawnSync('bash', [path], { cwd: work, encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, HOME: work, ...env } });
}

describe('shell quoting', () => {
  test('one word whatever the value holds; comments keep no line break', () => {
    for (const value of ["it's", HOSTILE('/nonexistent/x'), '', "''", '\\', '$HOME', '!!']) {
      const out = execFileSync('bash', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
      expect(out).toBe(value);
    }
    expect(commentText('a\nb\rc\u2028d\u0000e')).toBe('a b c d e');
  });
});

describe('copy.sh', () => {
  test('passes bash -n and reads as the plan', () => {
    const script = renderCopyScript(plan, '2026-11-22T10:00:00.000Z');
    const path = join(work, 'copy.sh');
    writeFileSync(path, script);
    expect(spawnSync('bash', ['-n', path]).status).toBe(0);
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('\nset -u\n');
    expect(script).toContain(`PLAN_TARGET_REGISTRY='${REGISTRY}'`);
    expect(script).toContain(`copy_image 'line 1: quay.io/org/app:1' 'quay.io/org/app@${d('a')}' "$TARGET_REGISTRY"'/org/app:1'`);
    expect(script).toContain(`copy_image 'line 3: ghcr.io/o/t@${d('c')}' 'ghcr.io/o/t@${d('c')}' "$TARGET_REGISTRY"'/o/t@${d('c')}'`);
    expect(script).toContain('# not copied, line 4: quay.io/x/y:1: conflict: x/y:1 is also claimed by line 5\n');
    expect(script).toContain('# not copied, line 6: quay.io/a__b:1: invalid target: not a valid ECR name\n');
    expect(script).toContain("  create_repository 'o/t'\n  create_repository 'org/app'\n");
  });

  test('copies pinned by digest with SKOPEO_FLAGS to TARGET_REGISTRY; CREATE_REPOSITORIES=0 creates nothing', () => {
    const run = runScript(renderCopyScript(plan), {
      TARGET_REGISTRY: '127.0.0.1:5999',
      SKOPEO_FLAGS: '--dest-tls-verify=false  --src-tls-verify=false *',
      CREATE_REPOSITORIES: '0',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const flags = ['--dest-tls-verify=false', '--src-tls-verify=false', '*'];
    expect(calls()).toEqual([
      [
        'skopeo',
        'copy',
        ...flags,
        '--all',
        '--preserve-digests',
        `docker://quay.io/org/app@${d('a')}`,
        'docker://127.0.0.1:5999/org/app:1',
      ],
      [
        'skopeo',
        'copy',
        ...flags,
        '--all',
        '--preserve-digests',
        `docker://docker.io/library/nginx@${d('b')}`,
        'docker://127.0.0.1:5999/library/nginx:1.25',
      ],
      [
        'skopeo',
        'copy',
        ...flags,
        '--all',
        '--preserve-digests',
        `docker://ghcr.io/o/t@${d('c')}`,
        `docker://127.0.0.1:5999/o/t@${d('c')}`,
      ],
    ]);
    expect(run.stdout).toContain('copy.sh: 3 of 3 copies made');
  });

  test('creates the missing repositories in the target region, tolerating one that exists; the default target is the plan', () => {
    const run = runScript(renderCopyScript(plan), { EXISTS_ON: 'o/t' });
    expect(run.status).toBe(0);
    expect(calls().slice(0, 2)).toEqual([
      ['aws', 'ecr', 'create-repository', '--region', 'us-east-1', '--repository-name', 'o/t'],
      ['aws', 'ecr', 'create-repository', '--region', 'us-east-1', '--repository-name', 'org/app'],
    ]);
    expect(run.stdout).toContain('repository o/t already exists');
    expect(run.stdout).toContain('created repository org/app');
    expect(calls()[2]).toEqual([
      'skopeo',
      'copy',
      '--all',
      '--preserve-digests',
      `docker://quay.io/org/app@${d('a')}`,
      `docker://${REGISTRY}/org/app:1`,
    ]);
  });

  test('attempts every copy, then names the failures and exits 1', () => {
    const run = runScript(renderCopyScript(plan), { FAIL_ON: 'library/nginx', CREATE_REPOSITORIES: '0' });
    expect(run.status).toBe(1);
    expect(calls()).toHaveLength(3);
    expect(run.stderr).toContain('copy.sh: 1 step(s) failed; 2 of 3 copies made. Failed:\n  line 2: nginx:1.25\n');
  });

  test('a failed create-repository is named too', () => {
    const run = runScript(renderCopyScript(plan), { FAIL_ON: 'org/app' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('  create repository org/app\n');
    expect(run.stderr).toContain('  line 1: quay.io/org/app:1\n');
  });

  test('no registry known and no TARGET_REGISTRY: stops before copying anything', () => {
    const run = runScript(renderCopyScript({ ...plan, target: { prefix: '' } }));
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/set TARGET_REGISTRY=/);
    expect(calls()).toEqual([]);
  });

  test('an empty plan is a script that copies nothing and succeeds, even with no registry known (an empty input.txt)', () => {
    const run = runScript(renderCopyScript({ target: { prefix: '' }, schemaVersion: 1, copies: [], createRepositories: [], transfer }));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('copy.sh: 0 of 0 copies made');
  });

  test('without skopeo, or without aws when repositories are to be created: one message, exit 2, nothing attempted', () => {
    const script = join(work, 'copy.sh');
    writeFileSync(script, renderCopyScript(plan));
    // Only bash's own directory on PATH: no skopeo, no aws.
    const bashOnly = join(work, 'bash-only');
    execFileSync('mkdir', ['-p', bashOnly]);
    execFileSync('ln', ['-s', execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim(), join(bashOnly, 'bash')]);
    const noTools = spawnSync(join(bashOnly, 'bash'), [script], { encoding: 'utf8', env: { PATH: bashOnly } });
    expect(noTools.status).toBe(2);
    expect(noTools.stderr).toMatch(/^copy.sh: skopeo is not installed/);
    // skopeo present, aws missing.
    const bin = fakeBin();
    rmSync(join(bin, 'aws'));
    execFileSync('ln', ['-s', join(bashOnly, 'bash'), join(bin, 'bash')]);
    for (const tool of ['ls', 'wc', 'basename'])
      execFileSync('ln', ['-s', execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool)]);
    const noAws = spawnSync(join(bin, 'bash'), [script], { encoding: 'utf8', env: { PATH: bin } });
    expect(noAws.status).toBe(2);
    expect(noAws.stderr).toMatch(/the AWS CLI creates the missing repositories; install it, or set CREATE_REPOSITORIES=0/);
    expect(calls()).toEqual([]);
    const withoutCreate = spawnSync(join(bin, 'bash'), [script], { encoding: 'utf8', env: { PATH: bin, CREATE_REPOSITORIES: '0' } });
    expect(withoutCreate.status).toBe(0);
    expect(calls()).toHaveLength(3);
  });

  test('hostile values stay data: exact argv, nothing executed, comments stay comments', () => {
    const marker = join(work, 'PWNED');
    const evil = HOSTILE(marker);
    const hostile: MigrationPlan = {
      schemaVersion: 1,
      target: { registry: `reg${evil}`, prefix: '' },
      copies: [
        copy({
          input: evil,
          // Typed values from elsewhere than the parser: still quoted, never split.
          reference: { registry: 'evil.example', repository: `a${evil}`, tag: '1' },
          sourceDigest: `sha256:${evil}`,
          targetRepository: `r${evil}`,
          targetTag: `t${evil}`,
        }),
        copy({ line: 2, input: evil, conflict: `because${evil}` }),
        copy({ line: 3, input: evil, invalidTarget: `why${evil}` }),
      ],
      createRepositories: [`c${evil}`],
      transfer,
    };
    const script = renderCopyScript(hostile, `2026${evil}`);
    writeFileSync(join(work, 'check.sh'), script);
    expect(spawnSync('bash', ['-n', join(work, 'check.sh')]).status).toBe(0);
    // A line break inside single quotes is data (the argv below proves it); in a comment it becomes a space.
    expect(script).toContain(`# not copied, line 2: ${commentText(evil)}: conflict: because${commentText(evil)}\n`);
    expect(script).toContain(`# not copied, line 3: ${commentText(evil)}: invalid target: why${commentText(evil)}\n`);

    const run = runScript(script);
    expect(existsSync(marker)).toBe(false);
    expect(run.status).toBe(0);
    expect(calls()).toEqual([
      ['aws', 'ecr', 'create-repository', '--repository-name', `c${evil}`],
      [
        'skopeo',
        'copy',
        '--all',
        '--preserve-digests',
        `docker://evil.example/a${evil}@sha256:${evil}`,
        `docker://reg${evil}/r${evil}:t${evil}`,
      ],
    ]);
  });
});

describe('regsync.yml', () => {
  test('version 1, the ECR credential helper, one image entry per copy made, pinned by digest', () => {
    expect(renderRegsync(plan)).toBe(
      [
        '# The plan (plan.json) for regclient regsync: regsync once -c regsync.yml',
        '# Sources are pinned by digest; every platform of an index is copied.',
        'version: 1',
        'creds:',
        `  - registry: "${REGISTRY}"`,
        '    credHelper: docker-credential-ecr-login',
        'defaults:',
        '  parallel: 2',
        'sync:',
        '  # line 1: quay.io/org/app:1',
        `  - source: "quay.io/org/app@${d('a')}"`,
        `    target: "${REGISTRY}/org/app:1"`,
        '    type: image',
        '  # line 2: nginx:1.25',
        `  - source: "docker.io/library/nginx@${d('b')}"`,
        `    target: "${REGISTRY}/library/nginx:1.25"`,
        '    type: image',
        `  # line 3: ghcr.io/o/t@${d('c')}`,
        `  - source: "ghcr.io/o/t@${d('c')}"`,
        `    target: "${REGISTRY}/o/t@${d('c')}"`,
        '    type: image',
        '  # not synced, line 4: quay.io/x/y:1: conflict: x/y:1 is also claimed by line 5',
        '  # not synced, line 6: quay.io/a__b:1: invalid target: not a valid ECR name',
        '',
      ].join('\n'),
    );
  });

  test('nothing to copy is an empty sync list; a value that is not plainly a reference is left out, never templated', () => {
    expect(renderRegsync({ ...plan, copies: [] })).toContain('\nsync: []\n');
    // No account known: the registry comes from the environment, as in copy.sh.
    const unknown = renderRegsync({ ...plan, target: { prefix: '' } });
    expect(unknown).toContain('  - registry: "{{env \\"TARGET_REGISTRY\\"}}"\n');
    expect(unknown).toContain(`    target: "{{env \\"TARGET_REGISTRY\\"}}/org/app:1"\n`);
    const evil = 'quay.io/x/{{env "HOME"}}\n- source: a';
    const out = renderRegsync({
      ...plan,
      copies: [copy({ input: evil, reference: { registry: 'quay.io', repository: evil.slice('quay.io/'.length), tag: '1' } })],
    });
    // regsync templates source and target values, not comments.
    for (const line of out.split('\n')) if (!line.trim().startsWith('#')) expect(line).not.toContain('{{');
    expect(out).toContain('sync: []\n  # not synced, line 1: quay.io/x/{{env "HOME"}} - source: a: not a plain image reference\n');
  });
});
