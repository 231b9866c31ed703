/**
 * Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=<dir> npm run bench):
 * self time by function and by package, so it is plain where CPU goes.
 *
 *     npx tsx bench/profile-summary.ts <file.cpuprofile> [top N]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file = '', topText = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** The bundle has no package names, so the area is guessed from the function's neighbourhood in its comment-free source. */
const byFunction = new Map<string, number>();
for (const [id, us] of self) {
  const node = byId.get(id)!;
  const key = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop() ?? ''}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const top = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topText));
process.stdout.write(`total ${(total / 1000).toFixed(0)} ms sampled\n`);
for (const [name, us] of top)
  process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);

/** Inclusive time of the functions that mark an area of work: a sample counts for each area on its stack. */
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const areas = (process.env.PROFILE_AREAS ?? '').split(',').filter(Boolean);
if (areas.length > 0) {
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const name = byId.get(n)!.callFrame.functionName;
      if (areas.includes(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      }
    }
  }
  process.stdout.write('inclusive:\n');
  for (const name of areas) {
    const us = inclusive.get(name) ?? 0;
    process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);
  }
}

/**
 * With PROFILE_BUNDLE=<unminified cli.js>: self time by source module, from
 * the `// path` comments esbuild writes before each module of a bundle.
 */
const bundlePath = process.env.PROFILE_BUNDLE;
if (bundlePath) {
  const starts: Array<[number, string]> = [];
  readFileSync(bundlePath, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const m = /^\/\/ ((?:node_modules|scanner)\/\S+)$/.exec(line);
      if (m) starts.push([i, m[1]!.replace(/^node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1').replace(/^(scanner\/[^/]+\/?[^/]*).*$/, '$1')]);
    });
  const moduleAt = (line: number): string => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle prelude)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  const byModule = new Map<string, number>();
  for (const [id, us] of self) {
    const { url, lineNumber, functionName } = byId.get(id)!.callFrame;
    const key = url.endsWith('cli.js') ? moduleAt(lineNumber) : url ? `node:${url.split('/').pop()}` : functionName;
    byModule.set(key, (byModule.get(key) ?? 0) + us);
  }
  process.stdout.write('self time by module:\n');
  for (const [name, us] of [...byModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topText))) {
    process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);
  }
}
