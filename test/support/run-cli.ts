/** Runs the scanner's real command line in a child process with a controlled environment. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FAKE_AWS, ISOLATED_AWS_ENV } from '../../emulator/stand-in-env';

export { FAKE_AWS, ISOLATED_AWS_ENV };

export const REPO_ROOT = join(__dirname, '..', '..');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every Node process a test starts checks the report.json and plan.json it writes against docs/schemas. */
const OUTPUT_SCHEMA_CHECK = { NODE_OPTIONS: `--require ${join(__dirname, 'output-schemas.cjs')}` };

/**
 * Runs a command with only the variables given (plus PATH and the isolation
 * above). Asynchronous on purpose: the servers a test started answer on this
 * process's event loop, which a synchronous spawn would block.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...ISOLATED_AWS_ENV, ...OUTPUT_SCHEMA_CHECK, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The scanner's real command line, run from the repository root. */
export function runCli(args: readonly string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  return runProcess(TSX, [join(REPO_ROOT, 'scanner', 'cli.ts'), ...args], { cwd: REPO_ROOT, env, timeoutMs });
}

export const FAKE_AWS_KEYS = { accessKeyId: FAKE_AWS.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_AWS.AWS_SECRET_ACCESS_KEY };

/** The environment of a CLI run against the stand-ins: fake AWS identity, their endpoints, a HOME and Docker config of its own. */
export function standInEnv(o: { home: string; ecrEndpoint: string; s3Endpoint?: string }): Record<string, string> {
  return {
    ...FAKE_AWS,
    HOME: o.home,
    DOCKER_CONFIG: join(o.home, 'docker'),
    AWS_ENDPOINT_URL_ECR: o.ecrEndpoint,
    ...(o.s3Endpoint ? { AWS_ENDPOINT_URL_S3: o.s3Endpoint } : {}),
  };
}
