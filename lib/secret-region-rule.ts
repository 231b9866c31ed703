import { Arn, ArnFormat, Aws, CfnRule, Fn, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface SecretRegionRuleProps {
  /** The secret CodeBuild resolves, named by a literal ARN (its region is read from it). No default. */
  readonly secret: secretsmanager.ISecret;
}

/**
 * A template rule that refuses the deploy, before any resource is created, when the
 * registry credentials secret is in another region than the stack. CodeBuild
 * resolves a SECRETS_MANAGER variable in the build's region, and the key's
 * `kms:ViaService` names the secret's region; the stack is environment-agnostic,
 * so only CloudFormation knows the region to compare with. A secret of another
 * account in this region works: its resource policy (and its customer-managed key's
 * policy) must allow the build role (docs/registries.md says how).
 */
export class SecretRegionRule extends Construct {
  readonly rule: CfnRule;

  constructor(scope: Construct, id: string, props: SecretRegionRuleProps) {
    super(scope, id);
    const arn = props.secret.secretArn;
    // A rule may not hold Fn::Select, so a token's region cannot be compared; a secret of the same stack needs no rule anyway.
    this.node.addValidation({
      validate: () =>
        Token.isUnresolved(arn) ? ['SecretRegionRule: secret must be named by a literal ARN (Secret.fromSecretCompleteArn)'] : [],
    });
    const region = Token.isUnresolved(arn) ? Aws.REGION : Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).region!;
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
