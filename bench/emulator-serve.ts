/**
 * Serves the benchmark's synthetic world on its own, for profiling the scanner
 * by hand: prints the ECR endpoint and writes input.txt, then runs until killed.
 *
 *     npx tsx bench/emulator-serve.ts --repositories 2000 --images 500 --latency 20 --dir /tmp/world
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEcrEmulator } from '../emulator/ecr/emulator';
import { syntheticWorld } from '../emulator/synthetic-world';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repositories: { type: 'string', default: '200' },
      images: { type: 'string', default: '500' },
      latency: { type: 'string', default: '20' },
      dir: { type: 'string', default: '/tmp/ecr-world' },
    },
  });
  const world = syntheticWorld({
    repositories: Number(values.repositories),
    imagesPerRepository: Number(values.images),
    sources: 20,
    planted: 8,
  });
  const ecr = await startEcrEmulator({
    synthetic: world.store,
    distribution: world.distribution,
    latencyMs: Number(values.latency),
    recordCalls: false,
  });
  const host = new URL(ecr.endpoint).host;
  await mkdir(values.dir, { recursive: true });
  await writeFile(join(values.dir, 'input.txt'), world.sourcePaths.map((p) => `${host}/${p}:1`).join('\n'));
  process.stdout.write(`${ecr.endpoint}\n`);
}

void main();
