/** docs/context-keys.md is what the key table generates (`npm run docs:keys`), and says what the table holds. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTEXT_KEYS_DOC, contextKeysDoc } from '../../lib/settings/keys-doc';
import { REPO_ROOT } from './synth';

test('the committed page is the generated one (run npm run docs:keys after changing lib/settings/keys.ts)', () => {
  expect(readFileSync(join(REPO_ROOT, CONTEXT_KEYS_DOC), 'utf8')).toBe(contextKeysDoc());
});

test("a row says the key's type with its limits, its default, and the settings-file variable with its reader", () => {
  const rows = contextKeysDoc().split('\n');
  expect(rows).toContain(
    '| `reportRetentionDays` | whole number, 1–36500 | `365` | Days before a report (and an overwritten version, and the access logs) expires. | — |',
  );
  expect(rows.find((r) => r.startsWith('| `scanConcurrency` |'))).toContain('| `SCAN_CONCURRENCY` → `--concurrency` |');
  expect(rows.find((r) => r.startsWith('| `inputFile` |'))).toContain('| path, at most 1024 characters | `input.txt` |');
  expect(rows.find((r) => r.startsWith('| `memberRoleName` |'))).toContain('`ecr-duplicate-scanner-read`');
});
