/** Writes docs/context-keys.md from the key table (`npm run docs:keys`). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONTEXT_KEYS_DOC, contextKeysDoc } from '../lib/settings/keys-doc';

const path = join(__dirname, '..', CONTEXT_KEYS_DOC);
mkdirSync(dirname(path), { recursive: true });
writeFileSync(path, contextKeysDoc());
process.stdout.write(`wrote ${CONTEXT_KEYS_DOC}\n`);
