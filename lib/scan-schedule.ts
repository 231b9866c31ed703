import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';

export interface ScanScheduleProps {
  /** The pipeline to start. No default. */
  readonly pipeline: codepipeline.IPipeline;
  /** EventBridge schedule expression, `rate(...)` or `cron(...)`, checked by readConfig. No default. */
  readonly expression: string;
}

/**
 * Re-runs the scan on a schedule, so that the answer follows ECR as it changes even
 * when input.txt does not. An EventBridge rule, like the input triggers: its target
 * role may only start this pipeline (codepipeline:StartPipelineExecution on its ARN).
 * A scheduled run scans the input's latest revision.
 */
export class ScanSchedule extends Construct {
  readonly rule: events.Rule;
  readonly expression: string;

  constructor(scope: Construct, id: string, props: ScanScheduleProps) {
    super(scope, id);
    this.expression = props.expression;
    this.rule = new events.Rule(this, 'Rule', {
      description: `Re-runs the ECR duplicate scan: ${props.expression}`,
      schedule: events.Schedule.expression(props.expression),
      targets: [new targets.CodePipeline(props.pipeline)],
    });
  }
}
