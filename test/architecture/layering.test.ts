/**
 * Which folder may import which, so the layering stays what the README's
 * layout section says (the idea of go-containerregistry's depcheck). Every
 * relative import of every TypeScript file outside test/ is checked; an edge
 * the table does not allow fails with the file and the import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A module's layer: a scanner folder (`scanner/oci`), `scanner` for the files at its top, or a top folder. */
function layerOf(file: string): string {
  const parts = relative(ROOT, file).split('/');
  if (parts[0] === 'scanner') return parts.length > 2 ? `scanner/${parts[1]}` : 'scanner';
  return parts[0]!;
}

/** What each layer may import besides itself. Leaves first; nothing imports upward. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'scanner/errors': [],
  'scanner/concurrency': [],
  'scanner/log': [],
  'scanner/storage': [],
  // settings: what the stack hands the scanner (the settings file, the member role's name rule).
  'scanner/settings': [],
  'scanner/oci': ['scanner/errors'],
  'scanner/input': ['scanner/oci', 'scanner/errors'],
  'scanner/registry': ['scanner/oci', 'scanner/errors', 'scanner/concurrency'],
  'scanner/ecr': ['scanner/oci', 'scanner/errors', 'scanner/concurrency', 'scanner/storage'],
  // org: many registries (accounts x regions) read with the single-registry inventory, and joined.
  'scanner/org': ['scanner/oci', 'scanner/errors', 'scanner/concurrency', 'scanner/ecr', 'scanner/settings'],
  'scanner/source': ['scanner/oci', 'scanner/errors', 'scanner/concurrency', 'scanner/registry', 'scanner/ecr', 'scanner/input'],
  'scanner/match': ['scanner/oci', 'scanner/ecr', 'scanner/source'],
  // report: the report's data (report.json) built from the layers below.
  'scanner/report': ['scanner/oci', 'scanner/errors', 'scanner/input', 'scanner/ecr', 'scanner/source', 'scanner/match', 'scanner/org'],
  // plan: what to copy, decided from the report and the inventory.
  'scanner/plan': ['scanner/oci', 'scanner/errors', 'scanner/ecr', 'scanner/match', 'scanner/report'],
  // output: the files a run writes (report and plan rendered), locally and to S3.
  'scanner/output': ['scanner/oci', 'scanner/errors', 'scanner/report', 'scanner/plan', 'scanner/ecr', 'scanner/match', 'scanner/storage'],
  'scanner/notify': ['scanner/report', 'scanner/errors'],
  // The application: wiring of the layers above into one run and one command line.
  scanner: [
    'scanner/errors',
    'scanner/concurrency',
    'scanner/log',
    'scanner/storage',
    'scanner/settings',
    'scanner/oci',
    'scanner/input',
    'scanner/registry',
    'scanner/ecr',
    'scanner/org',
    'scanner/source',
    'scanner/match',
    'scanner/plan',
    'scanner/report',
    'scanner/output',
    'scanner/notify',
  ],
  // The ECR emulator is a product part (demo, bench, tests) that speaks OCI data; it knows nothing of the scanner's logic.
  emulator: ['scanner/oci'],
  // The stack checks targetPrefix and registry hosts with the scanner's own rules.
  lib: ['scripts', 'scanner/plan', 'scanner/oci', 'scanner/ecr', 'scanner/storage', 'scanner/settings'],
  bin: ['lib', 'scripts'],
  scripts: [],
  demo: ['scanner', 'scanner/oci', 'emulator'],
  bench: [
    'scanner',
    'scanner/report',
    'scanner/output',
    'scanner/oci',
    'scanner/concurrency',
    'scanner/org',
    'emulator',
    'scripts',
    'test',
  ],
  // Tests may use anything; they are not checked, only imported from (by the bench).
  test: [],
};

/** The folders whose files are checked. */
const CHECKED = ['scanner', 'emulator', 'lib', 'bin', 'scripts', 'demo', 'bench'];

function* typeScriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'cdk.out') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* typeScriptFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function edges(): Array<{ file: string; spec: string; from: string; to: string }> {
  const out: Array<{ file: string; spec: string; from: string; to: string }> = [];
  for (const top of CHECKED) {
    for (const file of typeScriptFiles(join(ROOT, top))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(IMPORT)) {
        const spec = (match[1] ?? match[2])!;
        const target = resolve(dirname(file), spec);
        out.push({ file: relative(ROOT, file), spec, from: layerOf(file), to: layerOf(target) });
      }
    }
  }
  return out;
}

test('every layer is in the table', () => {
  const layers = new Set(edges().flatMap((e) => [e.from, e.to]));
  const unknown = [...layers].filter((l) => !(l in ALLOWED) && l !== 'node_modules');
  expect(unknown).toEqual([]);
});

test('no import crosses the layering', () => {
  const bad = edges()
    .filter((e) => e.from !== e.to && !ALLOWED[e.from]?.includes(e.to))
    .map((e) => `${e.file}: ${e.spec} (${e.from} -> ${e.to})`);
  expect(bad).toEqual([]);
});

test('the table itself has no cycle', () => {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const cycle: string[] = [];
  const visit = (layer: string, path: string[]): void => {
    if (done.has(layer)) return;
    if (visiting.has(layer)) {
      cycle.push([...path, layer].join(' -> '));
      return;
    }
    visiting.add(layer);
    for (const next of ALLOWED[layer] ?? []) visit(next, [...path, layer]);
    visiting.delete(layer);
    done.add(layer);
  };
  for (const layer of Object.keys(ALLOWED)) visit(layer, []);
  expect(cycle).toEqual([]);
});

test('the checker sees imports: scanner/scan.ts imports the registry layer', () => {
  expect(edges().some((e) => e.file === 'scanner/scan.ts' && e.to === 'scanner/registry')).toBe(true);
});
