#!/usr/bin/env node
/**
 * The CDK app: settings from context, the scanner bundled now (so a deploy ships
 * the scanner as it is in this checkout), the stacks, cdk-nag's AWS Solutions rules.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, readConfig } from '../lib/config';
import { scannerRegions } from '../lib/scanner-region';
import { addNagChecks } from './nag-checks';
import { addScannerStacks } from './scanner-app';
import { bundleScanner } from '../scripts/bundle-scanner';

async function main(): Promise<void> {
  const app = new App();
  const config = readConfig(app.node);
  // The region the CLI deploys environment-agnostic stacks to, which scanRegions and the
  // build role's name need (lib/scanner-region.ts, scannerRegions); checked before the bundle, as the context is.
  const deployment = { region: process.env.CDK_DEFAULT_REGION };
  scannerRegions(config, deployment.region);
  const bundle = await bundleScanner();
  addScannerStacks(app, config, bundle.dir, deployment);
  addNagChecks(app);
  app.synth();
}

main().catch((err: unknown) => {
  // A bad context value is the user's to fix: the message, not a stack trace.
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
