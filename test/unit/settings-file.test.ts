/** The settings file the stack writes, as the scanner reads it (`--settings`): a closed set of names, each an option. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, parseCliArgs } from '../../scanner/cli-args';
import { MAX_SETTINGS_FILE_BYTES, formatSettingsFile, parseSettingsFile, settingsOptions } from '../../scanner/settings/settings-file';

function settingsPath(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'settings-file-')), 'settings.env');
  writeFileSync(file, text);
  return file;
}

const FILE = [
  '# written by the stack',
  'INPUT_FILE=input.txt',
  'RUN_FOLDER=reports/{timestamp}-{run}/',
  'SCAN_CONCURRENCY=7',
  'INSECURE_REGISTRIES=registry.corp:5000,10.0.0.5',
  'TARGET_PREFIX=migrated',
  'SCAN_REGIONS=eu-west-1,us-east-1',
  'SCAN_ORGANIZATION=on',
  'MEMBER_ROLE_NAME=reader',
  'ASSUME_ROLE_ADVICE=-deploy X, then re-run',
  '',
].join('\n');

test('each variable the scanner reads becomes its option; scan.sh and recorded ones give none', () => {
  const o = parseCliArgs(['--settings', settingsPath(FILE)], {});
  expect(o).toMatchObject({
    concurrency: 7,
    insecureRegistries: ['registry.corp:5000', '10.0.0.5'],
    targetPrefix: 'migrated',
    scope: {
      regions: ['eu-west-1', 'us-east-1'],
      accounts: 'organization',
      roleName: 'reader',
      // A value starting with "-" stays a value.
      assumeRoleAdvice: '-deploy X, then re-run',
    },
  });
  expect(o.inputPaths).toEqual(['input.txt']);
});

test('the command line wins over the file, and the environment over the file', () => {
  const path = settingsPath(FILE);
  const o = parseCliArgs(['--settings', path, '--concurrency', '2', '--region', 'ap-south-1'], { MEMBER_ROLE_NAME: 'other' });
  expect([o.concurrency, o.scope?.regions, o.scope?.roleName]).toEqual([2, ['ap-south-1'], 'other']);
});

test.each([
  ['an unknown name', 'INPUT_FILE=input.txt\nPATH=/tmp/evil\n', 'unknown setting PATH'],
  ['a name twice', 'SCAN_CONCURRENCY=1\nSCAN_CONCURRENCY=2\n', 'SCAN_CONCURRENCY set twice'],
  ['a line without a name', '=x\n', 'a line without NAME=: =x'],
  ['a flag that is not "on"', 'SCAN_ORGANIZATION=yes\n', 'SCAN_ORGANIZATION expects "on" or nothing, got "yes"'],
  ['a bad value, named by its option', 'SCAN_CONCURRENCY=many\n', '--concurrency must be a whole number >= 1, got "many"'],
])('%s is a usage error', (_name, text, message) => {
  const path = settingsPath(text);
  expect(() => parseCliArgs(['--settings', path], {})).toThrow(UsageError);
  expect(() => parseCliArgs(['--settings', path], {})).toThrow(message);
});

test('a missing or oversized file is a usage error', () => {
  expect(() => parseCliArgs(['--settings', '/nonexistent/settings.env'], {})).toThrow(
    '--settings /nonexistent/settings.env: not readable (ENOENT)',
  );
  const big = settingsPath(`# ${'x'.repeat(MAX_SETTINGS_FILE_BYTES)}\n`);
  expect(() => parseCliArgs(['--settings', big], {})).toThrow(`larger than ${MAX_SETTINGS_FILE_BYTES} bytes`);
});

test('what is written is read back; a line break in a value is refused', () => {
  const text = formatSettingsFile({ SCAN_REGIONS: 'eu-west-1', INPUT_FILE: 'a b.txt' }, 'header');
  expect(text).toBe('# header\nINPUT_FILE=a b.txt\nSCAN_REGIONS=eu-west-1\n');
  expect(parseSettingsFile(text)).toEqual({ INPUT_FILE: 'a b.txt', SCAN_REGIONS: 'eu-west-1' });
  expect(settingsOptions(parseSettingsFile(text))).toEqual({ region: ['eu-west-1'] });
  expect(() => formatSettingsFile({ TARGET_PREFIX: 'a\nPATH=/x' }, 'h')).toThrow('scan setting TARGET_PREFIX holds a line break');
});
