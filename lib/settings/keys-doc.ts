/**
 * docs/context-keys.md, rendered from the key table (keys.ts): `npm run docs:keys` writes it,
 * and a test fails when the committed page differs.
 */
import { SETTINGS_VARIABLES, SettingsVariableUse } from '../../scanner/settings/settings-file';
import { alternatives } from './key-checks';
import { CONTEXT_KEYS, CONTEXT_KEY_TABLE, ContextKeySpec } from './keys';

/** Where the page is written, relative to the repository. */
export const CONTEXT_KEYS_DOC = 'docs/context-keys.md';

/** The value's kind and its limits, in words. */
function typeOf(spec: ContextKeySpec): string {
  switch (spec.kind) {
    case 'text':
      return spec.maxLength ? `${spec.type}, at most ${spec.maxLength.max} characters` : spec.type;
    case 'enum':
      return `one of ${alternatives(spec.values.map((v) => `\`${v}\``))}`;
    case 'integer':
      return `whole number, ${spec.min}–${spec.max}`;
    case 'list': {
      const limit = spec.maxItems ? ` (at most ${spec.maxItems.max}, none twice)` : '';
      return `list: ${spec.item.items}${limit}`;
    }
  }
}

function defaultOf(spec: ContextKeySpec): string {
  if ('default' in spec && spec.default !== undefined) return `\`${spec.default}\``;
  return spec.absent ? `— (${spec.absent})` : '—';
}

function scannerOf(spec: ContextKeySpec): string {
  if (spec.variable === undefined) return '—';
  const use: SettingsVariableUse = SETTINGS_VARIABLES[spec.variable];
  const by = use.by === 'cli' ? `\`--${use.option}\`` : use.by === 'scan.sh' ? 'scan.sh' : 'recorded only';
  return `\`${spec.variable}\` → ${by}`;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function contextKeysDoc(): string {
  const rows = CONTEXT_KEYS.map((key) => {
    const spec: ContextKeySpec = CONTEXT_KEY_TABLE[key];
    return `| \`${key}\` | ${cell(typeOf(spec))} | ${cell(defaultOf(spec))} | ${cell(spec.doc)} | ${cell(scannerOf(spec))} |`;
  });
  return [
    '# Context keys',
    '',
    '<!-- Generated from lib/settings/keys.ts by `npm run docs:keys`; edit the table there, not this page. -->',
    '',
    "The app's settings are CDK context: the defaults live in `cdk.json`, and `-c key=value`",
    'overrides one for one command (lists as `a,b`, or a JSON array in `cdk.json`). A bad value',
    'or an unknown key stops the synth with a message naming the key. A construct user passing',
    '`EcrDuplicateScannerStack` props gets the same rules and words, naming the prop.',
    '',
    'The last column is the variable of the settings file the stack writes into the Scanner',
    'artifact (`settings.env`), and who reads it: the scanner as that option (`--settings`),',
    'scan.sh, or nobody (recorded so that a change re-runs the pipeline).',
    '',
    '| key | type | default | meaning | settings file |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
