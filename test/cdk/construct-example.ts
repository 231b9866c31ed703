// The example of docs/construct.md, as written there but for the import paths (`./lib/…` there,
// `../../lib/…` here); construct-example.test.ts keeps the two equal and synthesizes this one, and
// `npm run typecheck` checks its props against the stack's.
// docs/construct.md example begins
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { EcrDuplicateScannerStack } from '../../lib/ecr-duplicate-scanner-stack';
import { bundleScanner } from '../../scripts/bundle-scanner';

async function main(): Promise<void> {
  const app = new App();
  // A stack of your own that holds the registry logins' secret (its complete ARN, suffix included).
  const shared = new Stack(app, 'Shared');
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-scanner/registry-config-AbCdEf';
  new EcrDuplicateScannerStack(app, 'Scanner', {
    scannerBundleDir: (await bundleScanner()).dir,
    source: 's3',
    registryCredentials: secretsmanager.Secret.fromSecretCompleteArn(shared, 'Creds', secretArn),
    reportRetentionDays: 90,
  });
  app.synth();
}

void main();
// docs/construct.md example ends
