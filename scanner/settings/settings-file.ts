/**
 * The settings file (`settings.env`) the stack writes into the Scanner artifact: a closed
 * set of `NAME=value` lines. scan.sh reads the few that are CodeBuild's business (the input
 * file, the S3 layout of the run, the CA bundle Node must load at start); the scanner reads
 * the file itself (`--settings`) and takes each of the others as the command-line option it
 * names. Values are text, never evaluated by a shell.
 */

/** Who reads a variable: the scanner as a CLI option, scan.sh, or nobody (recorded so that a change re-runs the pipeline). */
export type SettingsVariableUse =
  | { readonly by: 'cli'; readonly option: string; readonly form: 'value' | 'list' | 'flag' }
  | { readonly by: 'scan.sh' }
  | { readonly by: 'recorded' };

/** Every variable the file may hold, in the order the stack writes them. */
export const SETTINGS_VARIABLES = {
  INPUT_FILE: { by: 'scan.sh' },
  REPORT_PREFIX: { by: 'recorded' },
  RUN_FOLDER: { by: 'scan.sh' },
  LATEST_FOLDER: { by: 'scan.sh' },
  DIGEST_CACHE_KEY: { by: 'scan.sh' },
  SCAN_COMPUTE: { by: 'scan.sh' },
  SCAN_CONCURRENCY: { by: 'cli', option: 'concurrency', form: 'value' },
  INSECURE_REGISTRIES: { by: 'cli', option: 'insecure-registry', form: 'list' },
  REGISTRY_CA_FILE: { by: 'scan.sh' },
  TARGET_PREFIX: { by: 'cli', option: 'target-prefix', form: 'value' },
  REGISTRY_CREDENTIALS_SECRET: { by: 'recorded' },
  NOTIFICATIONS: { by: 'recorded' },
  SCAN_REGIONS: { by: 'cli', option: 'region', form: 'list' },
  SCAN_ACCOUNTS: { by: 'cli', option: 'account', form: 'list' },
  SCAN_ORGANIZATION: { by: 'cli', option: 'organization', form: 'flag' },
  MEMBER_ROLE_NAME: { by: 'cli', option: 'role-name', form: 'value' },
  TARGET_REGISTRY: { by: 'cli', option: 'target-registry', form: 'value' },
  ASSUME_ROLE_ADVICE: { by: 'cli', option: 'assume-role-advice', form: 'value' },
} as const satisfies Record<string, SettingsVariableUse>;

export type SettingsVariable = keyof typeof SETTINGS_VARIABLES;

export const SETTINGS_VARIABLE_NAMES = Object.keys(SETTINGS_VARIABLES) as readonly SettingsVariable[];

/** A list variable's separator; a flag variable's one value. */
export const SETTINGS_LIST_SEPARATOR = ',';
export const SETTINGS_FLAG_ON = 'on';

// The file is a few hundred bytes; anything far larger is not one the stack wrote.
export const MAX_SETTINGS_FILE_BYTES = 64 * 1024;

export class SettingsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsFileError';
  }
}

function isSettingsVariable(name: string): name is SettingsVariable {
  return Object.hasOwn(SETTINGS_VARIABLES, name);
}

/** The file's text: one `NAME=value` line each, in the table's order; a value with a line break is refused. */
export function formatSettingsFile(values: Partial<Record<SettingsVariable, string>>, header: string): string {
  const lines: string[] = [];
  for (const name of SETTINGS_VARIABLE_NAMES) {
    const value = values[name];
    if (value === undefined) continue;
    if (/[\r\n\0]/.test(value)) throw new SettingsFileError(`scan setting ${name} holds a line break`);
    lines.push(`${name}=${value}`);
  }
  return [`# ${header}`, ...lines, ''].join('\n');
}

/** The file read back: every name must be one of the table's, each at most once. */
export function parseSettingsFile(text: string): Partial<Record<SettingsVariable, string>> {
  const out: Partial<Record<SettingsVariable, string>> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 1) throw new SettingsFileError(`a line without NAME=: ${line}`);
    const name = line.slice(0, eq);
    if (!isSettingsVariable(name)) throw new SettingsFileError(`unknown setting ${name}`);
    if (out[name] !== undefined) throw new SettingsFileError(`${name} set twice`);
    out[name] = line.slice(eq + 1);
  }
  return out;
}

/** A CLI option's value(s) as the settings file gives them: text, a list, or a flag. */
export type SettingsOptionValue = string | string[] | boolean;

/**
 * The command-line options the file stands for, by option name (`concurrency`, `region`…);
 * scan.sh's and the recorded variables give none. An empty value gives none either.
 */
export function settingsOptions(values: Partial<Record<SettingsVariable, string>>): Record<string, SettingsOptionValue> {
  const options: Record<string, SettingsOptionValue> = {};
  for (const name of SETTINGS_VARIABLE_NAMES) {
    const use: SettingsVariableUse = SETTINGS_VARIABLES[name];
    const value = values[name];
    if (use.by !== 'cli' || value === undefined || value === '') continue;
    if (use.form === 'value') options[use.option] = value;
    else if (use.form === 'list') {
      const items = value.split(SETTINGS_LIST_SEPARATOR).filter((v) => v !== '');
      if (items.length > 0) options[use.option] = items;
    } else if (value === SETTINGS_FLAG_ON) options[use.option] = true;
    else throw new SettingsFileError(`${name} expects "${SETTINGS_FLAG_ON}" or nothing, got "${value}"`);
  }
  return options;
}
