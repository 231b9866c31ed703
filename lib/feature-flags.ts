/**
 * The CDK feature flags the stack is built and tested with: those of this project's
 * cdk.json. A CDK app that leaves a flag unset gets CDK's old behaviour for it, under
 * which the stack would not synthesize (an access log bucket with ACLs disabled is
 * refused) or would differ (a V1 pipeline, a cross-account KMS key), so the stack
 * sets every flag its app has not set on its own node. A flag the app sets is left alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Construct } from 'constructs';

/** cdk.json's feature flags: its context keys that CDK reads, `@aws-cdk…:name`. */
export function projectFeatureFlags(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(cdkJson.context ?? {}).filter(([key]) => key.startsWith('@aws-cdk')));
}

/** Sets on `scope` each project flag not already set above it; call before `scope` has children. */
export function applyProjectFeatureFlags(scope: Construct): void {
  for (const [key, value] of Object.entries(projectFeatureFlags())) {
    if (scope.node.tryGetContext(key) === undefined) scope.node.setContext(key, value);
  }
}
