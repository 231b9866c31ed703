import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

/**
 * Acknowledges a cdk-nag rule on `scope` and everything under it. With `findings`,
 * only those findings (cdk-nag's `Rule[Finding]` ids, e.g. one wildcard resource),
 * so that a new finding of the same rule still fails the check.
 */
export function acknowledgeNag(scope: IConstruct, rule: string, reason: string, findings?: readonly string[]): void {
  const ids = findings === undefined ? [rule] : findings.map((f) => `${rule}[${f}]`);
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The finding cdk-nag reports for a grant on `<bucket ARN><path>`, so that an
 * acknowledgement names exactly that resource and no other wildcard.
 */
export function bucketArnFinding(bucket: s3.IBucket, path: string): string {
  const cfn = bucket.node.defaultChild as CfnElement | undefined;
  if (!cfn) throw new Error(`bucket ${bucket.node.path} is not defined in this app`);
  return `Resource::<${Stack.of(bucket).getLogicalId(cfn)}.Arn>${path}`;
}
