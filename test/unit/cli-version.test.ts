/** `--version`: the parser asks for it, --help lists it, and the version is package.json's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELP, parseCliArgs, VERSION } from '../../scanner/cli-args';
import { main } from '../../scanner/cli';

const packageVersion = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

test('--version is asked for only when given', () => {
  expect(parseCliArgs(['--version'], {}).version).toBe(true);
  expect(parseCliArgs([], {}).version).toBe(false);
});

test('--version takes no value', () => {
  expect(() => parseCliArgs(['--version=1'], {})).toThrow(/--version/);
});

test("the version printed is package.json's", () => {
  expect(VERSION).toBe(packageVersion);
  expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
});

test('--help lists --version', () => {
  expect(HELP).toMatch(/^ {2}--version +\S/m);
});

test('the command prints the version alone on stdout and exits 0', async () => {
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    expect(await main(['--version'])).toBe(0);
  } finally {
    write.mockRestore();
  }
  expect(written.join('')).toBe(`${packageVersion}\n`);
});
