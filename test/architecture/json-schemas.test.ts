/**
 * The published schemas of report.json and plan.json (docs/schemas) are what the scanner's types
 * generate today (scripts/json-schemas.ts), and the check that every scan in the tests runs against
 * them (test/support/output-schemas.cjs) really refuses a document that breaks them.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCHEMA_DIR, SCHEMAS, schemaText } from '../../scripts/json-schemas';

test.each(Object.keys(SCHEMAS))(
  'docs/schemas/%s is what the types generate (npm run schemas)',
  (name) => {
    expect(readFileSync(join(SCHEMA_DIR, name), 'utf8')).toBe(schemaText(name));
  },
  120_000,
);

test('a written report.json that breaks the schema is refused where it is written; a valid one is not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'schema-check-'));
  try {
    const valid = {
      schemaVersion: 1,
      generatedAt: '2026-12-06T10:00:00.000Z',
      ecr: [{ region: 'us-east-1', repositories: 0, images: 0 }],
      summary: { sources: 0, present: 0, partial: 0, absent: 0, error: 0 },
      sources: [],
    };
    await writeFile(join(dir, 'report.json'), JSON.stringify(valid));
    await expect(writeFile(join(dir, 'report.json'), JSON.stringify({ ...valid, schemaVersion: 2 }))).rejects.toThrow(
      /report\.json does not match docs\/schemas\/report\.schema\.json/,
    );
    await expect(writeFile(join(dir, 'report.json.tmp-1-ab'), JSON.stringify({ ...valid, surprise: true }))).rejects.toThrow(
      /must NOT have additional properties/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
