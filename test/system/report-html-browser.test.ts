/**
 * report.html in a real browser (Debian's chromium through puppeteer-core):
 * it renders without errors, asks for nothing beyond itself, shows hostile
 * input as text, and the screenshot the README uses is taken the same way.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, screenshotReport } from '../../demo/screenshot';
import { MigrationPlan } from '../../scanner/plan/plan-types';
import { parseReference } from '../../scanner/oci/reference';
import { renderReportFiles } from '../../scanner/output/render';
import { Report } from '../../scanner/report/report-types';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const EVIL = `"><script>alert(1)</script><img src=http://127.0.0.1:9/x onerror=alert(2)>`;
const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

const report: Report = {
  schemaVersion: 1,
  generatedAt: '2026-11-22T10:00:00.000Z',
  ecr: [{ accountId: '123456789012', region: 'eu-west-1', repositories: 4, images: 9 }],
  summary: { sources: 4, present: 1, partial: 1, absent: 1, error: 1 },
  sources: [
    {
      line: 1,
      input: 'nginx:1.25',
      reference: 'docker.io/library/nginx:1.25',
      digest: d('a'),
      status: 'present',
      images: [
        {
          platform: 'linux/amd64',
          manifestDigest: d('b'),
          imageId: d('c'),
          matches: [
            { uri: `${ECR}/web:1.25`, repository: 'web', tags: ['1.25'], manifestDigest: d('b'), imageId: d('c'), matchedBy: 'manifest' },
          ],
        },
      ],
    },
    {
      line: 2,
      input: 'quay.io/org/app:1',
      reference: 'quay.io/org/app:1',
      digest: d('d'),
      status: 'partial',
      images: [
        {
          platform: 'linux/amd64',
          manifestDigest: d('e'),
          imageId: d('f'),
          matches: [
            {
              uri: `${ECR}/app:1-amd64`,
              repository: 'app',
              tags: ['1-amd64'],
              manifestDigest: d('1'),
              imageId: d('f'),
              matchedBy: 'imageId',
            },
          ],
        },
        { platform: 'linux/arm64/v8', manifestDigest: d('2'), imageId: d('3'), matches: [] },
      ],
    },
    {
      line: 3,
      input: 'ghcr.io/example/tool:2',
      reference: 'ghcr.io/example/tool:2',
      digest: d('4'),
      status: 'absent',
      images: [{ platform: 'linux/amd64', manifestDigest: d('4'), imageId: d('5'), matches: [] }],
    },
    { line: 4, input: `bad${EVIL}`, status: 'error', error: `invalid reference: ${EVIL}`, images: [] },
  ],
  ecrDuplicates: [
    {
      imageId: d('6'),
      sizeBytes: 31457280,
      locations: [
        { repository: 'app-b', manifestDigest: d('7'), tags: ['1.0'], sizeBytes: 1000 },
        { repository: 'mirror', manifestDigest: d('8'), tags: [], sizeBytes: 1000 },
      ],
    },
  ],
};

const copy = {
  input: '',
  reference: '',
  sourceDigest: '',
  platforms: ['linux/amd64'],
  repositoryExists: false,
  bytes: 0,
  uploadBytes: 0,
  mountableBytes: 0,
  pulls: 1,
};
const plan: MigrationPlan = {
  schemaVersion: 1,
  target: { registry: ECR, prefix: '' },
  copies: [
    {
      ...copy,
      line: 2,
      input: 'quay.io/org/app:1',
      reference: parseReference('quay.io/org/app:1'),
      sourceDigest: d('d'),
      status: 'partial',
      platforms: ['linux/arm64/v8'],
      targetRepository: 'org/app',
      targetTag: '1',
      bytes: 3145728,
      nearest: { uri: `${ECR}/app@${d('1')}`, sharedBytes: 2097152, share: 0.667 },
      pullThroughCache: { prefix: 'quay', uri: `${ECR}/quay/org/app:1`, ruleExists: false },
    },
    {
      ...copy,
      line: 3,
      input: 'ghcr.io/example/tool:2',
      reference: parseReference('ghcr.io/example/tool:2'),
      sourceDigest: d('4'),
      status: 'absent',
      targetRepository: 'example/tool',
      targetTag: '2',
      conflict: `example/tool:2 ${EVIL}`,
    },
  ],
  createRepositories: ['org/app'],
  transfer: {
    bytes: 3145728,
    uploadBytes: 1048576,
    mountableBytes: 524288,
    blobMounting: 'ENABLED',
    pullsBySourceRegistry: { 'quay.io': 2 },
    warnings: [`ECR GetAccountSetting failed ${EVIL}`],
  },
  pullThroughCache: {
    rules: [{ prefix: 'quay', upstreamRegistryUrl: 'quay.io', credentials: null, exists: false, copies: 1, bytes: 3145728 }],
  },
};

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'report-html-browser-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('chromium is where the test expects it (apt-get install chromium)', () => {
  expect(existsSync(CHROMIUM)).toBe(true);
});

test.each(['screen', 'print'] as const)(
  'report.html renders (%s) with no error and no request, hostile input shown as text; a screenshot is written',
  async (media) => {
    const htmlPath = join(work, 'report.html');
    const file = renderReportFiles(report, plan).find((f) => f.name === 'report.html')!;
    await writeFile(htmlPath, file.body);
    const pngPath = join(work, `report-${media}.png`);
    const page = await screenshotReport({ htmlPath, pngPath, userDataDir: join(work, `profile-${media}`), media });

    expect(page.consoleErrors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(page.otherRequests).toEqual([]);
    expect(page.dialogs).toEqual([]);
    expect(page.title).toBe('ECR duplicate image report, 2026-11-22T10:00:00.000Z');
    // The summary at a glance.
    for (const [n, label] of [
      [4, 'sources'],
      [1, 'present'],
      [1, 'partial'],
      [1, 'absent'],
      [1, 'error'],
    ] as const) {
      expect(page.text).toMatch(new RegExp(`(^|\\n)${n}\\s*\\n\\s*${label}(\\n|$)`));
    }
    // Every source, the plan and the duplicates.
    for (const s of report.sources) expect(page.text).toContain(s.input);
    expect(page.text).toContain(`invalid reference: ${EVIL}`);
    expect(page.text).toContain(`${ECR}/org/app:1`);
    expect(page.text).toContain('not copied: conflict: example/tool:2');
    expect(page.text).toContain('bash copy.sh');
    expect(page.text).toContain('30.0 MiB');
    // What the copies move, each copy's nearest image and cache path, and the rule to create.
    expect(page.text).toContain('What the copies move');
    expect(page.text).toContain('The 1 copy carries 3.0 MiB of distinct blobs. 1.0 MiB of them are not in their target repository yet');
    expect(page.text).toMatch(/quay\.io\s+2/);
    expect(page.text).toContain(`ECR GetAccountSetting failed ${EVIL}`);
    expect(page.text).toContain(`ECR holds 67% of its bytes in ${ECR}/app@${d('1')}`);
    expect(page.text).toContain(`or through the pull-through cache (rule to create): ${ECR}/quay/org/app:1`);
    expect(page.text).toContain('Pull-through cache instead of a copy');
    expect(page.text).toContain(
      'aws ecr create-pull-through-cache-rule --ecr-repository-prefix quay --upstream-registry-url quay.io --region eu-west-1',
    );

    const png = await readFile(pngPath);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(10_000);
  },
  60_000,
);
