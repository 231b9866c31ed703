/**
 * The documents cannot drift from the code or from each other: every relative link and anchor
 * resolves as GitHub resolves it, every repository path they name exists, no heading repeats in
 * a file (so no anchor needs a `-1`), every scanner command parses with the CLI's own parser,
 * docs/cli.md lists exactly the options of `--help`, docs/security.md names the ECR actions
 * of scanner/ecr/operations.ts, the README's policy is that module's list, and docs/report.md
 * and docs/plan.md name every field of their JSON Schemas. (test/cdk/readme-examples.test.ts
 * synthesizes the `npx cdk` commands of the same files.)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { HELP, parseCliArgs } from '../../scanner/cli-args';
import {
  ECR_SOURCE_LOGIN_ACTION,
  ECR_SOURCE_READ_ACTIONS,
  inventoryIamActions,
  targetSettingsIamActions,
} from '../../scanner/ecr/operations';
import { anchors, commandLines, fencedBlocks, githubSlug, headings, inlineCode, linkTargets, prose, shellWords } from '../support/markdown';

const ROOT = join(__dirname, '..', '..');

/** Every document a reader opens: the three at the top and the pages under docs/. */
export const DOC_FILES = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

test('the documents are there: the README, CONTRIBUTING, the changelog and the docs pages', () => {
  for (const page of ['cli', 'inputs', 'registries', 'report', 'failure-modes', 'plan', 'deploying', 'context-keys']) {
    expect(DOC_FILES).toContain(`docs/${page}.md`);
  }
  for (const page of ['organizations', 'scans-are-not-pulls', 'security', 'construct', 'verification', 'performance']) {
    expect(DOC_FILES).toContain(`docs/${page}.md`);
  }
});

describe.each(DOC_FILES)('%s', (file) => {
  const text = read(file);

  test('every relative link and #anchor resolves', () => {
    const broken: string[] = [];
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), decodeURIComponent(path));
      if (!resolved.startsWith(ROOT) || !existsSync(resolved)) {
        broken.push(`${target}: no ${relative(ROOT, resolved)}`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).includes(anchor)) {
        broken.push(`${target}: no heading of ${relative(ROOT, resolved)} has that anchor`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('every repository path it names in backticks exists', () => {
    const paths = inlineCode(text)
      .map((code) => code.replace(/^\.\//, ''))
      .filter((code) => /^(?:scanner|lib|bin|buildspec|test|emulator|demo|bench|scripts|seed|docs|\.ci)\/[\w.@/-]*$/.test(code));
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  test('no heading repeats', () => {
    const slugs = headings(text).map(githubSlug);
    expect(slugs.filter((slug, i) => slugs.indexOf(slug) !== i)).toEqual([]);
  });
});

/** Scanner commands of a document: ``` lines, and inline spans without a placeholder. */
function scannerCommands(markdown: string): string[] {
  const command = /^(?:[A-Z_][A-Z0-9_]*=\S* )*(?:npm run scan --|ecr-duplicate-scanner)(?: |$)/;
  const inline = inlineCode(markdown).filter((code) => !code.includes('…'));
  return [...commandLines(markdown), ...inline].filter((line) => command.test(line));
}

/** The arguments a command hands the CLI: after the program (and `npm run scan --`). */
function cliArguments(command: string): string[] {
  const words = shellWords(command).filter((_word, i, all) => !all.slice(0, i + 1).every((x) => /^[A-Z_][A-Z0-9_]*=/.test(x)));
  return words[0] === 'npm' ? words.slice(4) : words.slice(1);
}

describe("scanner commands parse with the CLI's own parser", () => {
  const commands = DOC_FILES.filter((f) => f === 'README.md' || f.startsWith('docs/')).flatMap((file) =>
    scannerCommands(read(file)).map((command) => [file, command] as const),
  );
  test('the README and the docs show scanner commands', () => {
    expect(commands.filter(([file]) => file === 'README.md').length).toBeGreaterThanOrEqual(3);
    expect(commands.length).toBeGreaterThanOrEqual(10);
  });
  test.each(commands)('%s: %s', (_file, command) => {
    expect(command).not.toMatch(/[…<>]/);
    expect(() => parseCliArgs(cliArguments(command), { AWS_REGION: 'eu-west-1' })).not.toThrow();
  });
  test('a command the parser refuses is caught', () => {
    const [bad] = scannerCommands('```\n$ npm run scan -- --input input.txt --concurency 4\n```\n');
    expect(() => parseCliArgs(cliArguments(bad!), {})).toThrow(/concurency/);
  });
});

/** The options of `--help`: the words that open its option lines. */
function helpOptions(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:(-[a-z]), )?(--[a-z0-9-]+)/gm)].flatMap((m) => (m[1] ? [m[1], m[2]!] : [m[2]!])).sort();
}

/** The options docs/cli.md's option table names in its first column. */
function pageOptions(markdown: string): string[] {
  return prose(markdown)
    .split('\n')
    .filter((line) => /^\| *`-/.test(line))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`(--?[a-z0-9-]+)/g)].map((m) => m[1]!))
    .sort();
}

test("docs/cli.md's option table lists exactly the options of --help", () => {
  const listed = helpOptions(HELP);
  expect(listed).toEqual(expect.arrayContaining(['--input', '--version', '-h', '--help']));
  expect(pageOptions(read('docs/cli.md'))).toEqual(listed);
});

const ECR_ACTION = /\becr:[A-Z][A-Za-z]+/g;
/** What the scanner calls: the inventory, the target registry's settings, and the login and reads of an ECR source. */
const SCANNER_ECR_ACTIONS = [...inventoryIamActions(), ...targetSettingsIamActions(), ECR_SOURCE_LOGIN_ACTION, ...ECR_SOURCE_READ_ACTIONS];
/** What a registry's reader needs: the inventory and the plan's two settings reads of its target registry. */
const REGISTRY_READ_ACTIONS = [...inventoryIamActions(), ...targetSettingsIamActions()].sort();
/**
 * ECR actions the security page names that are not the scanner's: the deploying role registers
 * the pull-time update exclusions, and whoever runs copy.sh creates repositories and pushes.
 */
const NOT_THE_SCANNERS = [
  'ecr:RegisterPullTimeUpdateExclusion',
  'ecr:DeregisterPullTimeUpdateExclusion',
  'ecr:ListPullTimeUpdateExclusions',
  'ecr:CreateRepository',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:BatchCheckLayerAvailability',
  'ecr:PutImage',
];

/** `##` sections of a page by heading. */
function sections(markdown: string): Map<string, string> {
  const parts = markdown.split(/^## +/m).slice(1);
  return new Map(parts.map((part) => [part.slice(0, part.indexOf('\n')).trim(), part]));
}

describe('docs/security.md and the ECR operations list', () => {
  const page = read('docs/security.md');
  test("every ECR action it names is one scanner/ecr/operations.ts lists, or one it says is not the scanner's", () => {
    const named = [...new Set(page.match(ECR_ACTION))];
    expect(named.filter((a) => !SCANNER_ECR_ACTIONS.includes(a) && !NOT_THE_SCANNERS.includes(a))).toEqual([]);
  });
  test.each(['You, scanning from a laptop', 'The build role', 'The member read role'])(
    'the section "%s" names every inventory action',
    (heading) => {
      const section = sections(page).get(heading);
      expect(section).toBeDefined();
      const named = new Set(section!.match(ECR_ACTION));
      expect(inventoryIamActions().filter((a) => !named.has(a))).toEqual([]);
    },
  );
  test("the member read role may do exactly the inventory and the target's settings: its policy block lists those actions", () => {
    const policy = fencedBlocks(sections(page).get('The member read role')!).find((b) => b.includes('"Action"'));
    expect([...new Set(policy!.match(ECR_ACTION))].sort()).toEqual(REGISTRY_READ_ACTIONS);
  });
});

test("every ECR action any document names is the scanner's, or one docs/security.md says is not", () => {
  const named = DOC_FILES.filter((f) => f !== 'CHANGELOG.md').flatMap((file) =>
    [...new Set(read(file).match(ECR_ACTION))].map((a) => `${file}: ${a}`),
  );
  expect(named.length).toBeGreaterThan(10);
  expect(named.filter((n) => !SCANNER_ECR_ACTIONS.includes(n.split(': ')[1]!) && !NOT_THE_SCANNERS.includes(n.split(': ')[1]!))).toEqual(
    [],
  );
});

test('the repository policy docs/registries.md gives for ECR sources grants the source reads of operations.ts', () => {
  const policy = fencedBlocks(read('docs/registries.md')).find((b) => b.includes('"Statement"'));
  expect([...new Set(policy!.match(ECR_ACTION))].sort()).toEqual([...ECR_SOURCE_READ_ACTIONS].sort());
});

test("the README's least policy to paste is the inventory's and the target settings' actions, as JSON", () => {
  const policies = fencedBlocks(read('README.md')).filter((b) => b.includes('"Statement"'));
  expect(policies).toHaveLength(1);
  const policy = JSON.parse(policies[0]!) as { Statement: { Action: string[] }[] };
  expect(policy.Statement.flatMap((s) => s.Action).sort()).toEqual(REGISTRY_READ_ACTIONS);
});

/** Every property name and enum value of a JSON Schema. */
function schemaNames(schema: unknown): string[] {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') Object.keys(o.properties).forEach((k) => names.add(k));
    if (Array.isArray(o.enum)) o.enum.forEach((v) => names.add(String(v)));
    Object.values(o).forEach(walk);
  };
  walk(schema);
  return [...names].sort();
}

test.each([
  ['docs/report.md', 'docs/schemas/report.schema.json'],
  ['docs/plan.md', 'docs/schemas/plan.schema.json'],
])('%s names every field and value of %s, and links it', (page, schema) => {
  const text = read(page);
  const code = new Set(inlineCode(text).concat(fencedBlocks(text).flatMap((b) => [...b.matchAll(/"([\w-]+)"\s*:/g)].map((m) => m[1]!))));
  expect(schemaNames(JSON.parse(read(schema))).filter((name) => !code.has(name))).toEqual([]);
  expect(linkTargets(text)).toContain(relative('docs', schema));
});
