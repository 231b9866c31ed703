import { Aws, CfnRule, Fn } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface DeployRegionRuleProps {
  /** The one region the template may be deployed to. No default. */
  readonly region: string;
  /** What was made for that region, for the message. No default. */
  readonly madeFor: string;
}

/**
 * A template rule that refuses the deploy, before any resource is created, in another
 * region than the one the app synthesized the stack for. The stack stays
 * environment-agnostic (its ARNs keep `AWS::Region`), but something beside it was decided
 * at synth from the region (a role name, stacks in the other regions), and a cloud
 * assembly deployed elsewhere would not fit it.
 */
export class DeployRegionRule extends Construct {
  readonly rule: CfnRule;

  constructor(scope: Construct, id: string, props: DeployRegionRuleProps) {
    super(scope, id);
    this.rule = new CfnRule(this, 'Rule', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, props.region),
          assertDescription: `This template was synthesized for ${props.region} (${props.madeFor}). Deploy it to ${props.region}, or synthesize it again for this region (the CDK CLI takes the region from AWS_REGION or the profile).`,
        },
      ],
    });
  }
}
