import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectSources, Mention } from '../../scanner/input/mentions';
import { describeOrigin } from '../../scanner/output/origins';
import { detectInputFormat, InputFileError, MAX_INPUT_BYTES, readInput } from '../../scanner/input/read-input';
import { parseKubernetesMentions } from '../../scanner/input/kubernetes';
import { parseComposeMentions } from '../../scanner/input/compose';
import { parseCliArgs, UsageError } from '../../scanner/cli-args';

const FIXTURES = join(__dirname, '..', 'fixtures', 'inputs');
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8');
const summary = (mentions: Mention[]) =>
  mentions.map((m) =>
    m.kind === 'reference'
      ? [m.origin.line, m.input, describeOrigin(m.origin)]
      : [m.origin.line, m.kind, m.kind === 'invalid' ? m.error : ''],
  );

describe('Kubernetes inputs', () => {
  test('every container of every workload, with its object and container; objects that name no pod are skipped', async () => {
    const mentions = parseKubernetesMentions(await fixture('workloads.yaml'), 'workloads.yaml');
    expect(summary(mentions)).toEqual([
      [21, 'registry.example.com/shop/migrate:2.1', 'workloads.yaml: Deployment shop/web, container migrate'],
      [24, 'registry.example.com/shop/web:1.4', 'workloads.yaml: Deployment shop/web, container web'],
      [26, 'envoyproxy/envoy:v1.30.1', 'workloads.yaml: Deployment shop/web, container proxy'],
      [41, 'registry.example.com/shop/report:0.9', 'workloads.yaml: CronJob shop/report, container report'],
      [60, 'postgres:16', 'workloads.yaml: StatefulSet data/db, container postgres'],
      [72, 'registry.example.com/shop/web:1.4', 'workloads.yaml: DaemonSet kube-system/agent, container agent'],
    ]);
    // One image named by two workloads is one source with both origins.
    const sources = collectSources(mentions);
    expect(sources).toHaveLength(5);
    expect(sources[1]).toMatchObject({
      canonical: 'registry.example.com/shop/web:1.4',
      duplicateLines: [],
      origins: [
        { file: 'workloads.yaml', line: 24, kind: 'Deployment', namespace: 'shop', name: 'web', container: 'web' },
        { file: 'workloads.yaml', line: 72, kind: 'DaemonSet', namespace: 'kube-system', name: 'agent', container: 'agent' },
      ],
    });
  });

  test("kubectl get pods -o json: a Pod's imageID digest is what it runs and what is compared", async () => {
    const mentions = parseKubernetesMentions(await fixture('pods.json'), 'pods.json');
    const refs = mentions.flatMap((m) =>
      m.kind === 'reference' ? [[m.input, m.reference.digest ?? null, (m.origin as { container: string }).container]] : [],
    );
    expect(refs).toEqual([
      ['registry.example.com/shop/web:1.4@sha256:' + '1'.repeat(64), 'sha256:' + '1'.repeat(64), 'web'],
      ['registry.example.com/shop/migrate:2.1@sha256:' + '2'.repeat(64), 'sha256:' + '2'.repeat(64), 'migrate'],
      ['busybox:1.36', null, 'debugger'],
      // A runtime that reports only the image ID (a config digest) leaves the tag to be resolved.
      ['registry.example.com/shop/web:1.4', null, 'web'],
    ]);
    expect(describeOrigin(mentions[0]!.origin)).toBe('pods.json: Pod shop/web-7d9f, container web');
    // JSON is read by JSON.parse; the line of each image is still its own (not the status's image lines).
    expect(mentions.map((m) => m.origin.line)).toEqual([10, 11, 12, 35]);
  });

  test('JSON lines survive escapes, nested arrays and keys named image elsewhere', () => {
    const text = [
      '{"kind": "Pod", "metadata": {"name": "a\\"b", "annotations": {"image": "not:this"}},',
      ' "spec": {"containers": [',
      '   {"name": "x", "args": ["[", "{\\"image\\": 1}"], "image": "nginx:1"},',
      '   {"name": "y",',
      '    "image": "redis:7"}]}}',
    ].join('\n');
    expect(parseKubernetesMentions(text, 'p.json').map((m) => [m.input, m.origin.line])).toEqual([
      ['nginx:1', 3],
      ['redis:7', 5],
    ]);
  });

  test('a malformed document is an error naming the file and document; the documents around it are read', async () => {
    const mentions = parseKubernetesMentions(await fixture('malformed.yaml'), 'malformed.yaml');
    expect(mentions.map((m) => [m.kind, m.input])).toEqual([
      ['reference', 'alpine:3.20'],
      ['invalid', 'document 2'],
      ['reference', 'alpine:3.19'],
    ]);
    expect(mentions[1]).toMatchObject({
      error: expect.stringMatching(/^malformed YAML in document 2 of malformed\.yaml: /),
      origin: { file: 'malformed.yaml', line: 9 },
    });
  });

  test('a YAML bomb is refused by what its aliases expand to, naming the file, and the next document is read', async () => {
    const mentions = parseKubernetesMentions(await fixture('yaml-bomb.yaml'), 'bomb.yaml');
    expect(mentions.map((m) => m.kind)).toEqual(['invalid', 'reference']);
    expect(mentions[0]).toMatchObject({
      input: 'document 1',
      error: 'YAML document 1 of bomb.yaml refused: its aliases and merge keys expand to more than 500000 nodes (a YAML bomb?); not read',
      origin: { file: 'bomb.yaml', line: 1 },
    });
  });

  test('one anchor merged into a thousand maps of a thousand keys is a bomb too (each merge copies every key)', () => {
    const common = Array.from({ length: 1000 }, (_, i) => `  k${i}: v\n`).join('');
    const services = Array.from({ length: 1000 }, (_, i) => `  s${i}: {<<: *common, image: "app:${i}"}\n`).join('');
    const mentions = parseComposeMentions(`x-common: &common\n${common}services:\n${services}`, 'merge-bomb.yaml');
    expect(mentions).toEqual([
      expect.objectContaining({
        kind: 'invalid',
        error: expect.stringMatching(/^YAML document 1 of merge-bomb\.yaml refused: .* \(a YAML bomb\?\)/),
      }),
    ]);
  });

  test('nesting: a million [ is refused before parsing, 201 or 2,000 block levels after, with the same message', () => {
    const flow = parseKubernetesMentions(`kind: Pod\nx: ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n`, 'flow.yaml');
    expect(flow).toEqual([
      {
        kind: 'invalid',
        input: 'flow.yaml',
        error: 'the file nests more than 200 levels of [ ] or { }; not read',
        origin: { file: 'flow.yaml', line: 0 },
      },
    ]);
    // 2,000 levels overflow the parser's stack, or nearly: either way the message is the bound's.
    for (const levels of [201, 2000]) {
      const block = `kind: Pod\n${Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n---\nkind: Pod\nspec: {containers: [{name: c, image: alpine:3.20}]}\n`;
      const mentions = parseKubernetesMentions(block, 'deep.yaml');
      expect(mentions.map((m) => [m.kind, m.kind === 'invalid' ? m.error : m.input])).toEqual([
        ['invalid', 'YAML document 1 of deep.yaml refused: it nests collections more than 200 levels deep; not read'],
        ['reference', 'alpine:3.20'],
      ]);
    }
    const fine = `kind: Pod\n${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`;
    expect(parseKubernetesMentions(fine, 'deep.yaml')).toEqual([]);
    // JSON too: JSON.parse would take seconds on the millions of brackets 32 MiB can hold.
    expect(parseKubernetesMentions(`{"kind":"Pod","x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`, 'deep.json')).toEqual([
      {
        kind: 'invalid',
        input: 'deep.json',
        error: 'the file nests more than 200 levels of [ ] or { }; not read',
        origin: { file: 'deep.json', line: 0 },
      },
    ]);
  });

  test('Job, ReplicaSet and any object with a pod template; a typed list such as DeploymentList', () => {
    const tpl = (image: string) => ({ spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
    const doc = {
      kind: 'DeploymentList',
      items: [
        { kind: 'Job', metadata: { name: 'j' }, ...tpl('job:1') },
        { kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'n' }, ...tpl('rs:1') },
        { kind: 'Rollout', apiVersion: 'argoproj.io/v1alpha1', metadata: { name: 'r' }, ...tpl('rollout:1') },
      ],
    };
    expect(parseKubernetesMentions(JSON.stringify(doc), 'l.json').map((m) => [m.input, describeOrigin(m.origin)])).toEqual([
      ['job:1', 'l.json: Job j, container c'],
      ['rs:1', 'l.json: ReplicaSet n/rs, container c'],
      ['rollout:1', 'l.json: Rollout r, container c'],
    ]);
  });

  test('a container without an image, or with an invalid one, is an error with its origin', () => {
    const text = 'kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n    - name: b\n      image: Not/Valid\n';
    expect(summary(parseKubernetesMentions(text, 'p.yaml'))).toEqual([
      [5, 'invalid', 'container a names no image'],
      [7, 'invalid', expect.stringMatching(/^invalid reference: .*lowercase/)],
    ]);
  });
});

describe('compose inputs', () => {
  test('250 services merging one anchor (<<: *common) are read, not taken for a YAML bomb', () => {
    const services = Array.from({ length: 250 }, (_, i) => `  svc${i}:\n    <<: *common\n    image: registry.example.com/shop/svc${i}:1\n`);
    const text = `x-common: &common\n  restart: always\n  environment: {LOG: info, REGION: eu}\n  logging: {driver: json-file}\nservices:\n${services.join('')}`;
    const mentions = parseComposeMentions(text, 'compose.yaml');
    expect(mentions).toHaveLength(250);
    expect(mentions.every((m) => m.kind === 'reference')).toBe(true);
    expect(mentions[249]).toMatchObject({
      input: 'registry.example.com/shop/svc249:1',
      origin: { service: 'svc249', line: 5 + 249 * 3 + 3 },
    });
  });

  test('services.*.image, merge keys followed; a built-only service and variables are errors saying what to do', async () => {
    const mentions = parseComposeMentions(await fixture('compose.yaml'), 'compose.yaml');
    expect(summary(mentions)).toEqual([
      [6, 'nginx:1.25', 'compose.yaml: service web'],
      // The image comes from the anchor through `<<:`; the line is the service's own.
      [9, 'registry.example.com/shop/worker:3', 'compose.yaml: service worker'],
      [11, 'invalid', expect.stringMatching(/^service builder is only built \(build: without image:\), so there is no image to compare/)],
      [13, 'invalid', expect.stringMatching(/compose variables; give the output of `docker compose config`/)],
    ]);
  });

  test('a service using extends, or naming nothing, is an error of its own naming the service, never dropped', () => {
    const text = [
      'services:',
      '  base:',
      '    image: app:1',
      '  web:',
      '    extends: base',
      '  api:',
      '    extends: {file: common.yaml, service: api}',
      '    image: api:2',
      '  empty: {}',
      '',
    ].join('\n');
    const mentions = parseComposeMentions(text, 'compose.yaml');
    expect(mentions.map((m) => [m.origin.line, m.input, m.kind === 'invalid' ? [m.error, m.errorKind] : m.origin])).toEqual([
      [3, 'app:1', { file: 'compose.yaml', line: 3, service: 'base' }],
      [
        5,
        'service web',
        [
          'service web uses extends, which the scanner does not follow; give the output of `docker compose config` instead, which resolves it',
          'unsupported',
        ],
      ],
      // Its own image wins over what it extends, as in compose.
      [8, 'api:2', { file: 'compose.yaml', line: 8, service: 'api' }],
      [9, 'service empty', ['service empty names no image', undefined]],
    ]);
  });
});

describe('reading an --input file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inputs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the kind is told by the content', async () => {
    expect(detectInputFormat('nginx:1.25\n# apiVersion: v1\nredis\n')).toBe('text');
    expect(detectInputFormat(await fixture('workloads.yaml'))).toBe('kubernetes');
    expect(detectInputFormat(await fixture('pods.json'))).toBe('kubernetes');
    expect(detectInputFormat(await fixture('compose.yaml'))).toBe('compose');
    expect(detectInputFormat('{"services": {"a": {"image": "x"}}}')).toBe('compose');
    expect(detectInputFormat('\uFEFFkind: Deployment\n')).toBe('kubernetes');
    expect((await readInput(join(FIXTURES, 'compose.yaml'))).format).toBe('compose');
    // Forced: a compose file read as Kubernetes names no workload.
    expect(await readInput(join(FIXTURES, 'compose.yaml'), 'kubernetes')).toMatchObject({ format: 'kubernetes', mentions: [] });
  });

  test('a file over the limit is an error entry, read no further than the limit', async () => {
    const path = join(dir, 'huge.yaml');
    const handle = await open(path, 'w');
    await handle.truncate(100 * 1024 * 1024);
    await handle.close();
    const started = Date.now();
    const used = process.memoryUsage().rss;
    const read = await readInput(path);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - used).toBeLessThan(MAX_INPUT_BYTES);
    expect(read.mentions).toEqual([
      {
        kind: 'invalid',
        input: path,
        error: expect.stringMatching(/^the file is over 100 MiB, more than the 32 MiB an input may be/),
        origin: { file: path, line: 0 },
      },
    ]);
  });

  test("a cluster's 10,000 pods as JSON (about 20 MB) are read in seconds; YAML over its bound is one error naming the file", async () => {
    const pod = (i: number) => ({
      kind: 'Pod',
      metadata: { name: `web-${i}`, namespace: `ns${i % 50}`, annotations: { note: 'x'.repeat(1500) } },
      spec: { containers: [{ name: 'web', image: `registry.example.com/team${i % 200}/web:1.${i % 30}` }] },
      status: { containerStatuses: [{ name: 'web', imageID: `registry.example.com/team${i % 200}/web@sha256:${'a'.repeat(64)}` }] },
    });
    const json = join(dir, 'pods.json');
    await writeFile(json, JSON.stringify({ kind: 'List', items: Array.from({ length: 10_000 }, (_, i) => pod(i)) }, null, 1));
    const started = Date.now();
    const read = await readInput(json);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(read.mentions).toHaveLength(10_000);
    expect(read.mentions[9_999]!.origin).toMatchObject({ name: 'web-9999', line: expect.any(Number) });
    expect(read.mentions[9_999]!.origin.line).toBeGreaterThan(100_000);

    const yaml = join(dir, 'big.yaml');
    const item = `  - {kind: ConfigMap, metadata: {name: x}, data: {a: "${'y'.repeat(200)}"}}\n`;
    await writeFile(yaml, `kind: List\nitems:\n${item.repeat(25_000)}`);
    const refused = await readInput(yaml);
    expect(refused.mentions).toEqual([
      {
        kind: 'invalid',
        input: yaml,
        error: expect.stringMatching(/^the YAML is 6\.2 MiB, over the 4\.0 MiB a YAML input may be; split it, or give JSON/),
        origin: { file: yaml, line: 0 },
      },
    ]);
  });

  test('a Latin-1 byte or a NUL in a manifest: still read as Kubernetes, the bad bytes an error naming file, line and column', async () => {
    const manifest = (comment: Buffer) =>
      Buffer.concat([
        Buffer.from('apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  # owner: '),
        comment,
        Buffer.from('\nspec:\n  containers:\n    - name: web\n      image: nginx:1.25\n    - name: side\n      image: envoy:1'),
        comment,
        Buffer.from('\n'),
      ]);
    const latin1 = join(dir, 'latin1.yaml');
    await writeFile(latin1, manifest(Buffer.from('Jos\xe9', 'latin1')));
    const read = await readInput(latin1);
    expect(read.format).toBe('kubernetes');
    expect(summary(read.mentions)).toEqual([
      [
        5,
        'invalid',
        `line 5, column 15 of ${latin1} holds a byte that is not UTF-8 (a Latin-1 or Windows-1252 file?); so do 1 more line(s): 11; read as U+FFFD, the rest of the file is read (save it as UTF-8)`,
      ],
      [9, 'nginx:1.25', `${latin1}: Pod web, container web`],
      [11, 'invalid', expect.stringMatching(/^invalid reference: invalid tag "1Jos\uFFFD"/)],
    ]);
    const nul = join(dir, 'nul.yaml');
    await writeFile(nul, manifest(Buffer.from([0x41, 0x00])));
    const withNul = await readInput(nul, 'kubernetes');
    expect(withNul.mentions[0]).toMatchObject({
      error: expect.stringMatching(/^line 5, column 13 of .*nul\.yaml holds a NUL byte; so do 1 more/),
    });
    expect(withNul.mentions[1]).toMatchObject({ kind: 'reference', input: 'nginx:1.25' });
  });

  test('binary garbage forced as YAML is one clear error; as text each line is an error as before', async () => {
    const path = join(dir, 'garbage.bin');
    await writeFile(path, Buffer.from([0x00, 0xff, 0x13, 0x0a, 0x89, 0x50, 0x4e, 0x47, 0x0a]));
    const asYaml = await readInput(path, 'kubernetes');
    expect(asYaml.mentions).toEqual([expect.objectContaining({ error: expect.stringMatching(/not UTF-8 text \(binary\?\)/) })]);
    const asText = await readInput(path);
    expect(asText.format).toBe('text');
    expect(asText.mentions.map((m) => m.kind)).toEqual(['invalid', 'invalid']);
  });

  test('a file that cannot be read ends the run, naming it', async () => {
    await expect(readInput(join(dir, 'missing.txt'))).rejects.toThrow(InputFileError);
    await expect(readInput(join(dir, 'missing.txt'))).rejects.toThrow(/cannot read input file .*missing.txt: no such file/);
    await expect(readInput(dir)).rejects.toThrow(/it is a directory/);
  });

  test('a FIFO or a device is refused at once, naming it, never waited on', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // No one writes to the pipe: opening it for reading the usual way would wait for ever (Jest's timeout would end the test).
    await expect(readInput(fifo)).rejects.toThrow(
      new RegExp(`cannot read input file ${fifo}: it is a pipe \\(FIFO\\), which may never end`),
    );
    await expect(readInput('/dev/zero')).rejects.toThrow(/cannot read input file \/dev\/zero: it is a device, not a file/);
    await expect(readInput('/dev/null')).rejects.toThrow(InputFileError);
  });
});

describe('--input and --input-format', () => {
  test('--input is repeatable, in order; input.txt when none; --input-format forces one kind, and only a known one', () => {
    expect(parseCliArgs(['--input', 'a.txt', '--input', 'pods.json']).inputPaths).toEqual(['a.txt', 'pods.json']);
    expect(parseCliArgs([]).inputPaths).toEqual(['input.txt']);
    expect(parseCliArgs(['--input-format', 'compose']).inputFormat).toBe('compose');
    expect(parseCliArgs([]).inputFormat).toBeUndefined();
    expect(() => parseCliArgs(['--input-format', 'helm'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--input-format', 'helm'])).toThrow(/--input-format expects text, kubernetes, compose, got "helm"/);
  });
});
