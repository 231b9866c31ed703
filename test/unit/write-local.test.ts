import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../scanner/storage/atomic-file';
import { writeReportFiles } from '../../scanner/output/write-local';

describe('report files are written atomically', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a file is replaced whole and no temporary file is left', async () => {
    const path = join(dir, 'report.json');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new content');
    expect(await readFile(path, 'utf8')).toBe('new content');
    expect(await readdir(dir)).toEqual(['report.json']);
  });

  test('when the final rename fails, the previous file is untouched and the temporary file removed', async () => {
    // A directory where the file should go makes rename fail after the temporary file was written.
    const path = join(dir, 'report.md');
    await mkdir(path);
    await writeFile(join(path, 'keep'), 'previous');
    await expect(writeFileAtomic(path, 'new')).rejects.toThrow();
    expect(await readFile(join(path, 'keep'), 'utf8')).toBe('previous');
    expect(await readdir(dir)).toEqual(['report.md']);
  });

  test('writeReportFiles creates the directory and writes every file', async () => {
    const out = join(dir, 'nested', 'out');
    const paths = await writeReportFiles(out, [
      { name: 'a.txt', contentType: 'text/plain', body: 'a' },
      { name: 'b.txt', contentType: 'text/plain', body: 'b' },
    ]);
    expect(paths).toEqual([join(out, 'a.txt'), join(out, 'b.txt')]);
    expect((await readdir(out)).sort()).toEqual(['a.txt', 'b.txt']);
  });
});
