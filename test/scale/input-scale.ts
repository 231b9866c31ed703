/**
 * How the scan grows with hostile input sizes (issue 28): a million input.txt
 * lines naming three images, 20,000 invalid lines, a Kubernetes List of
 * 100,000 Pods naming five images. Each case is one in-process runScan against
 * docker-registry and the ECR emulator; prints wall time and peak RSS.
 *
 *     npm run bench:inputs -- [case…]     (cases: quarter, half, million, invalid, pods; default: million, invalid, pods)
 *
 * It lives beside the tests, not in bench/, because it runs the tests' harness (scan-harness, source-fixture).
 */
import { buildImage } from '../../emulator/oci-layout';
import { scanOnce } from '../support/scan-harness';
import { startSourceFixture } from '../support/source-fixture';

const images = Array.from({ length: 5 }, (_, i) =>
  buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'app', content: `scale-${i}\n` }] }),
);

function podList(host: string, pods: number): string {
  const items = Array.from({ length: pods }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${i}`, namespace: `ns-${i % 50}` },
    spec: { containers: [{ name: 'web', image: `${host}/team/app${i % 5}:1` }] },
  }));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 2);
}

async function main(): Promise<void> {
  const wanted = new Set(process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['million', 'invalid', 'pods']);
  const fixture = await startSourceFixture({
    name: 'input-scale',
    pushes: images.map((target, i) => ({ target, to: `team/app${i}:1` })),
    ecr: [{ repository: 'team/app0', ecrRepository: 'app0' }],
  });
  const host = fixture.registry.host;
  const lines = (n: number) => () => Array.from({ length: n }, (_, i) => `${host}/team/app${i % 3}:1`).join('\n');
  const cases: Record<string, () => string> = {
    quarter: lines(250_000),
    half: lines(500_000),
    million: lines(1_000_000),
    invalid: () => Array.from({ length: 20_000 }, (_, i) => `Bad/Line${i}:x`).join('\n'),
    pods: () => podList(host, 100_000),
  };
  try {
    for (const [name, make] of Object.entries(cases)) {
      if (!wanted.has(name)) continue;
      const input = make();
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const started = process.hrtime.bigint();
      const run = await scanOnce({ input, ecrEndpoint: fixture.ecr.endpoint });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearInterval(sampler);
      const r = run.report;
      console.log(
        `${name}: ${(Buffer.byteLength(input) / 1e6).toFixed(1)} MB input, exit ${run.exitCode}, ` +
          `${r?.summary.sources ?? '-'} sources (${JSON.stringify(r?.summary)}), ${(ms / 1000).toFixed(2)} s, ` +
          `peak RSS ${Math.round(peak / 1e6)} MB (+${Math.round((peak - rssBefore) / 1e6)} MB), ` +
          `report.json ${(Buffer.byteLength(run.written['report.json'] ?? '') / 1e6).toFixed(1)} MB, report.md ${Math.round(Buffer.byteLength(run.written['report.md'] ?? '') / 1e3)} kB` +
          `${run.message ? `; ${run.message}` : ''}`,
      );
    }
  } finally {
    await fixture.stop();
  }
}

void main();
