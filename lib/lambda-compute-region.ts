import { Aws, CfnRule, Fn } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * Regions where CodeBuild offers Lambda compute, from "Which regions support AWS
 * Lambda compute in CodeBuild?" in the CodeBuild user guide (lambda.html#lambda.regions).
 * Extend it when AWS adds regions; `-c compute=ec2` works everywhere meanwhile.
 */
export const LAMBDA_COMPUTE_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'eu-central-1',
  'eu-west-1',
  'sa-east-1',
] as const;

/**
 * A template rule that refuses the deploy, before any resource is created, in a
 * region without CodeBuild Lambda compute. The stack is environment-agnostic (the
 * region is known only to CloudFormation), so synth cannot check it; without the
 * rule the deploy would fail half-way, at the CodeBuild project.
 */
export class LambdaComputeRegionRule extends Construct {
  readonly rule: CfnRule;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.rule = new CfnRule(this, 'Rule', {
      assertions: [
        {
          assert: Fn.conditionContains([...LAMBDA_COMPUTE_REGIONS], Aws.REGION),
          assertDescription: `CodeBuild Lambda compute is not offered in this region (it is in ${LAMBDA_COMPUTE_REGIONS.join(', ')}). Deploy with -c compute=ec2, or to one of those regions.`,
        },
      ],
    });
  }
}
