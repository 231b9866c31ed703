/** Writes report files so a reader never sees a half-written one: temporary file, then rename. */
import { FatalError } from '../errors/fatal-error';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-file';
import { ReportFile } from './render';

export class OutputDirError extends FatalError {}

/** Called before scanning, so an unwritable --out fails in a second rather than after the whole scan. */
export async function ensureWritableDir(dir: string): Promise<void> {
  const probe = join(dir, `.write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe);
  } catch (err) {
    throw new OutputDirError(`--out ${dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function writeReportFiles(dir: string, files: readonly ReportFile[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const file of files) {
    const path = join(dir, file.name);
    await writeFileAtomic(path, file.body);
    paths.push(path);
  }
  return paths;
}
