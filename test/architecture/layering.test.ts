/**
 * Which folder may import which, so the layering stays what
 * CONTRIBUTING.md's layering table says (the idea of go-containerregistry's depcheck). Every
 * relative import of every TypeScript file outside test/ is checked; an edge
 * the table does not allow fails with the file and the import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ALLOWED } from './layers';

const ROOT = join(__dirname, '..', '..');

/** A module's layer: a scanner folder (`scanner/oci`), `scanner` for the files at its top, or a top folder. */
function layerOf(file: string): string {
  const parts = relative(ROOT, file).split('/');
  if (parts[0] === 'scanner') return parts.length > 2 ? `scanner/${parts[1]}` : 'scanner';
  return parts[0]!;
}

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
