/**
 * `npm run demo`: a complete scan with no AWS account and nothing but Node.
 * Starts an in-process ECR emulator that also serves the sample source
 * images over the registry API, then runs the scanner's own CLI entry point
 * against it, exactly as a real run would go (only the endpoints differ).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../scanner/cli';
import { startEcrEmulator } from '../emulator/ecr/emulator';
import { demoContent } from './sample-content';

async function runDemo(outDir: string): Promise<number> {
  const content = demoContent();
  const emulator = await startEcrEmulator({ repositories: content.ecr, distribution: content.distribution, latencyMs: 5 });
  const scratch = await mkdtemp(join(tmpdir(), 'ecr-scan-demo-'));
  try {
    const host = new URL(emulator.endpoint).host;
    const inputPath = join(outDir, 'input.txt');
    await mkdir(outDir, { recursive: true });
    await writeFile(inputPath, `${content.input.map((l) => l.replace('HOST', host)).join('\n')}\n`);
    const kubernetesPath = join(outDir, 'deployment.yaml');
    await writeFile(kubernetesPath, `${content.kubernetes.map((l) => l.replace('HOST', host)).join('\n')}\n`);

    // The scanner reads these like any AWS environment; nothing here is a real credential.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'DEMO',
      AWS_SECRET_ACCESS_KEY: 'DEMO',
      AWS_ENDPOINT_URL_ECR: emulator.endpoint,
      AWS_CONFIG_FILE: join(scratch, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      DOCKER_CONFIG: scratch,
    });
    delete process.env.AWS_PROFILE;

    process.stdout.write(`Demo: ECR emulator and sample registry at ${emulator.endpoint}\n`);
    process.stdout.write(`Demo: scanning ${inputPath} and ${kubernetesPath}\n\n`);
    const code = await main(['--input', inputPath, '--input', kubernetesPath, '--out', outDir]);
    process.stdout.write(
      `\nThe scanner exited with status ${code}` +
        (code === 1 ? ' because input.txt holds two lines that cannot be compared (on purpose).' : '.') +
        `\nOpen ${join(outDir, 'report.html')} in a browser, or report.md, report.txt, report.json and missing.txt beside it.` +
        `\nThe migration plan is beside them: plan.json, copy.sh (skopeo) and regsync.yml (regclient).\n`,
    );
    return code;
  } finally {
    await emulator.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

const outDir = resolve(process.argv[2] ?? 'demo-report');
runDemo(outDir).then(
  // Exit status 1 is the demo's designed outcome (its input has error lines); anything else is a failure.
  (code) => {
    process.exitCode = code === 1 ? 0 : 1;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
