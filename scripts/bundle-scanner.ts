/**
 * Bundles the scanner into one CommonJS file that plain `node` runs with no
 * node_modules, so the CodeBuild project installs nothing: the AWS SDK v3 and
 * every other dependency are inside. `buildspec/scan.sh` is copied next to it
 * because the pipeline ships both to the build as one artifact.
 *
 *     npx tsx scripts/bundle-scanner.ts [outDir]     (default dist/scanner)
 */
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUNDLE_ENTRY, BUNDLE_SCRIPT } from './bundle-layout';

const REPO_ROOT = resolve(__dirname, '..');

export const DEFAULT_BUNDLE_DIR = join(REPO_ROOT, 'dist', 'scanner');
export { BUNDLE_ENTRY, BUNDLE_SCRIPT } from './bundle-layout';

export interface BundleResult {
  dir: string;
  entry: string;
  /** Size of the bundled JavaScript in bytes (without the source map). */
  bytes: number;
  /** What the bundle still imports at run time; Node built-ins only, or the build would need node_modules. */
  externalImports: string[];
}

export interface BundleOptions {
  /** Default true; the benchmark turns it off to read CPU profiles by function name. */
  minify?: boolean;
}

export async function bundleScanner(outDir: string = DEFAULT_BUNDLE_DIR, options: BundleOptions = {}): Promise<BundleResult> {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  // Only the files this script writes: the directory may be one the caller chose.
  for (const name of [BUNDLE_ENTRY, `${BUNDLE_ENTRY}.map`, BUNDLE_SCRIPT]) rmSync(join(dir, name), { force: true });
  const entry = join(dir, BUNDLE_ENTRY);
  const result = await esbuild.build({
    entryPoints: [join(REPO_ROOT, 'scanner', 'cli.ts')],
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The package's `bin` runs on the Node it is installed on (engines: >=20); CodeBuild's is 22.
    target: 'node20',
    // The SDK's ES module builds tree-shake to about two thirds of its CommonJS builds.
    mainFields: ['module', 'main'],
    minify: options.minify ?? true,
    // Minified stack traces are unreadable; scan.sh runs node with --enable-source-maps.
    // Without sourcesContent the map gives file:line and stays small.
    sourcemap: 'external',
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const externalImports = [
    ...new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path))),
  ].sort();
  const script = join(dir, BUNDLE_SCRIPT);
  copyFileSync(join(REPO_ROOT, 'buildspec', BUNDLE_SCRIPT), script);
  chmodSync(script, 0o755);
  return { dir, entry, bytes: statSync(entry).size, externalImports };
}

if (require.main === module) {
  bundleScanner(process.argv[2]).then(
    (r) => process.stdout.write(`bundled ${r.entry} (${(r.bytes / 1024).toFixed(0)} KiB)\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
