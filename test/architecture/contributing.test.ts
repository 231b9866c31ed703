/**
 * CONTRIBUTING.md's layering table says what layers.ts enforces: the same layers, each
 * allowed the same imports. The comparison is of data (the table's cells against ALLOWED),
 * so wording and order in the document are free; a changed rule is not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALLOWED } from './layers';

const CONTRIBUTING = join(__dirname, '..', '..', 'CONTRIBUTING.md');
/** The heading of the section that holds the table; the table is the first one under it. */
const SECTION = '## Layering';

/** Each row's layer and what it may import, from the first table of the section. */
function documentedLayers(markdown: string): Record<string, string[]> {
  const start = markdown.split('\n').findIndex((line) => line.trim() === SECTION);
  if (start < 0) throw new Error(`CONTRIBUTING.md has no "${SECTION}" section`);
  const lines = markdown.split('\n').slice(start + 1);
  const end = lines.findIndex((line) => /^#{1,2} /.test(line));
  const rows = (end < 0 ? lines : lines.slice(0, end)).filter((line) => line.startsWith('|')).slice(2);
  const table: Record<string, string[]> = {};
  for (const row of rows) {
    const [layerCell = '', importsCell = ''] = row.split('|').slice(1);
    const layer = /^`([^`]+)`$/.exec(layerCell.trim())?.[1];
    if (!layer) throw new Error(`a layering row without a \`layer\` in its first cell: ${row}`);
    table[layer] = [...importsCell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort();
  }
  return table;
}

const sortedAllowed = (): Record<string, string[]> =>
  Object.fromEntries(Object.entries(ALLOWED).map(([layer, imports]) => [layer, [...imports].sort()]));

test("CONTRIBUTING.md's layering table is the architecture test's", () => {
  expect(documentedLayers(readFileSync(CONTRIBUTING, 'utf8'))).toEqual(sortedAllowed());
});

test('the reader sees a changed row: a layer given one import more no longer matches', () => {
  const markdown = ['## Layering', '', '| layer | may import |', '|---|---|', '| `scanner/oci` | `scanner/errors`, `scanner/log` |'].join(
    '\n',
  );
  expect(documentedLayers(markdown)).toEqual({ 'scanner/oci': ['scanner/errors', 'scanner/log'] });
  expect(documentedLayers(markdown)['scanner/oci']).not.toEqual([...ALLOWED['scanner/oci']!].sort());
});
