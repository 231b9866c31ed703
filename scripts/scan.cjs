#!/usr/bin/env node
// `npm run scan`: runs the built bundle (dist/scanner/cli.js, as CodeBuild does) when it
// is newer than every source it was built from, else the TypeScript through tsx.
// tsx costs about 0.8 s of CPU to start (it compiles the scanner on every run); the
// bundle starts in about 0.1 s. Plain CommonJS, so deciding needs no compiler.
'use strict';
const { spawn } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bundle = join(root, 'dist', 'scanner', 'cli.js');

/** Newest modification time under dir (TypeScript files only), or 0. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (entry.name.endsWith('.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

function bundleIsFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = [newest(join(root, 'scanner')), statSync(join(root, 'package-lock.json')).mtimeMs];
    return inputs.every((t) => t <= built);
  } catch {
    return false;
  }
}

const args = process.argv.slice(2);
const command = bundleIsFresh()
  ? [process.execPath, ['--enable-source-maps', bundle, ...args]]
  : [process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scanner', 'cli.ts'), ...args]];
if (process.env.SCAN_LAUNCHER_VERBOSE)
  process.stderr.write(`scan: running ${command[1][0] === '--enable-source-maps' ? bundle : 'scanner/cli.ts through tsx'}\n`);
const child = spawn(command[0], command[1], { stdio: 'inherit' });
child.on('error', (err) => {
  process.stderr.write(`error: cannot start the scanner: ${err.message}\n`);
  process.exitCode = 2;
});
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exitCode = code ?? 2;
});
