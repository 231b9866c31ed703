/**
 * The JSON Schemas (draft 2020-12) of report.json and plan.json, generated from the TypeScript
 * types the scanner writes them from (scanner/report/report-types.ts, scanner/plan/plan-json.ts),
 * so the published schema is the code's own and cannot drift from it. Their doc comments become
 * the schema's descriptions.
 *
 *     npm run schemas        writes docs/schemas/report.schema.json and plan.schema.json
 *
 * test/architecture/json-schemas.test.ts fails when the committed files differ from what this
 * generates; every report and plan a test's scan writes is validated against them
 * (test/support/output-schemas.cjs).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createGenerator } from 'ts-json-schema-generator';

const REPO_ROOT = resolve(__dirname, '..');
export const SCHEMA_DIR = join(REPO_ROOT, 'docs', 'schemas');
/** A URN, not an address: the schemas are published in this repository (docs/schemas/), not at a host. */
const BASE_ID = 'urn:ecr-duplicate-scanner:schema:';

interface SchemaSource {
  file: string;
  type: string;
  title: string;
  description: string;
}

export const SCHEMAS: Record<string, SchemaSource> = {
  'report.schema.json': {
    file: 'scanner/report/report-types.ts',
    type: 'Report',
    title: 'ECR duplicate scanner report (report.json)',
    description:
      'Which source images ECR already holds, by image ID per platform. schemaVersion 1 only grows: fields are added, never removed, renamed or given another meaning.',
  },
  'plan.schema.json': {
    file: 'scanner/plan/plan-json.ts',
    type: 'MigrationPlanJson',
    title: 'ECR duplicate scanner migration plan (plan.json)',
    description:
      'The copies that bring exactly what ECR lacks. schemaVersion 1 only grows: fields are added, never removed, renamed or given another meaning.',
  },
};

type Json = { [key: string]: unknown };

/** draft-07's `definitions` and its refs become 2020-12's `$defs`; a tuple `items: [...]` would need prefixItems (none is generated). */
function toDraft2020(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toDraft2020);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value as Json)) {
    if (key === 'items' && Array.isArray(v)) throw new Error('a tuple type: write it as prefixItems before publishing');
    if (key === '$ref' && typeof v === 'string') out.$ref = v.replace('#/definitions/', '#/$defs/');
    else out[key === 'definitions' ? '$defs' : key] = toDraft2020(v);
  }
  return out;
}

export function generateSchema(name: string): Json {
  const source = SCHEMAS[name];
  if (!source) throw new Error(`no schema ${name}`);
  const generator = createGenerator({
    path: join(REPO_ROOT, source.file),
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    type: source.type,
    skipTypeCheck: true,
    additionalProperties: false,
    expose: 'export',
    topRef: true,
  });
  const generated = toDraft2020(generator.createSchema(source.type)) as Json;
  delete generated.$schema;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${BASE_ID}${name}`,
    title: source.title,
    description: source.description,
    ...generated,
  };
}

/** The file's text as committed: two-space JSON and a final newline. */
export function schemaText(name: string): string {
  return `${JSON.stringify(generateSchema(name), null, 2)}\n`;
}

if (require.main === module) {
  for (const name of Object.keys(SCHEMAS)) {
    writeFileSync(join(SCHEMA_DIR, name), schemaText(name));
    console.log(`wrote docs/schemas/${name}`);
  }
}
