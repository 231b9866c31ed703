import { Arn, ArnFormat, Aws, CfnRule, Fn } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface SecretRegionRuleProps {
  /** The complete ARN of the secret CodeBuild resolves. No default. */
  readonly secretArn: string;
}

/**
 * A template rule that refuses the deploy, before any resource is created, when the
 * registry credentials secret is in another region than the stack. CodeBuild
 * resolves a SECRETS_MANAGER variable in the build's region, and the key's
 * `kms:ViaService` names the secret's region; the stack is environment-agnostic,
 * so only CloudFormation knows the region to compare with. A secret of another
 * account in this region works: its resource policy (and its customer-managed key's
 * policy) must allow the build role (the README says how).
 */
export class SecretRegionRule extends Construct {
  readonly rule: CfnRule;

  constructor(scope: Construct, id: string, props: SecretRegionRuleProps) {
    super(scope, id);
    const region = Arn.split(props.secretArn, ArnFormat.COLON_RESOURCE_NAME).region!;
    this.rule = new CfnRule(this, 'Rule', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, region),
          assertDescription: `registryCredentialsSecret is in ${region}; CodeBuild resolves the secret in the stack's region. Replicate the secret to this region (aws secretsmanager replicate-secret-to-regions) and name the replica's ARN.`,
        },
      ],
    });
  }
}
