/** buildspec/scan.yml's commands, and running them as CodeBuild does: the Scan stage's tests share both. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliRun, REPO_ROOT, runProcess } from './run-cli';

export const BUILDSPEC_TEXT = readFileSync(join(REPO_ROOT, 'buildspec', 'scan.yml'), 'utf8');

/** The one phase's list of commands; no YAML library is needed to read them. */
export const BUILDSPEC_COMMANDS: readonly string[] = [...BUILDSPEC_TEXT.matchAll(/^ {6}- (.+)$/gm)].map((m) => m[1]!);

/** The commands under bash, in order, the first failure ending the build (as CodeBuild runs a phase). */
export function runBuildspec(options: { cwd: string; env: Record<string, string> }): Promise<CliRun> {
  return runProcess('bash', ['-c', `set -e\n${BUILDSPEC_COMMANDS.join('\n')}`], options);
}
