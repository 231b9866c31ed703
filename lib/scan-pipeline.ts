import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { ScanInput } from './input/scan-input';
import { acknowledgeNag, bucketArnFinding } from './nag';
import { ScanProject } from './scan-project';
import { ScannerArtifact } from './scanner-artifact';

/** CodePipeline's limit on one action configuration value (the CodeBuild action reference). */
export const MAX_ACTION_CONFIGURATION_VALUE = 1000;
/** CodePipeline's limit on a pipeline name. */
export const MAX_PIPELINE_NAME = 100;
/**
 * What a value CloudFormation resolves at deploy time may add to a configuration
 * value, counted at synth: a bucket name is at most 63 characters, an ARN of this
 * stack's resources well under this.
 */
const DEPLOY_TIME_VALUE_ALLOWANCE = 256;

export interface ScanPipelineProps {
  /** Bucket for the pipeline's artifacts. No default: the build role's grants name it. */
  readonly artifactBucket: s3.IBucket;
  /** Where input.txt comes from. No default. */
  readonly input: ScanInput;
  /** The bundled scanner and the scan's settings. No default. */
  readonly scanner: ScannerArtifact;
  /** The build that runs it. No default. */
  readonly scan: ScanProject;
  /**
   * Pipeline name, at most 100 characters.
   * @default the stack name
   */
  readonly pipelineName?: string;
  /**
   * How executions that overlap are handled. QUEUED gives every pushed revision
   * its own report, in order, so `latest/` always ends as the newest input.
   * @default codepipeline.ExecutionMode.QUEUED
   */
  readonly executionMode?: codepipeline.ExecutionMode;
  /**
   * Run the pipeline again whenever a deploy changes it, so that a new scanner or
   * new settings produce a fresh report without a commit. Only a change to the
   * pipeline resource counts; the settings are in the Scanner artifact, whose key
   * is its content's hash.
   * @default true
   */
  readonly restartExecutionOnUpdate?: boolean;
}

/**
 * The two-stage pipeline: Source (the input and the scanner) then Scan. Started only
 * by events from the input source, never by polling.
 */
export class ScanPipeline extends Construct {
  readonly pipeline: codepipeline.Pipeline;
  /** The Scan action's role (the pipeline assumes it to start the build). */
  readonly scanActionRole: iam.Role;

  constructor(scope: Construct, id: string, props: ScanPipelineProps) {
    super(scope, id);
    const pipelineName = props.pipelineName ?? Stack.of(this).stackName;
    this.node.addValidation({ validate: () => this.problems(pipelineName) });
    this.scanActionRole = new iam.Role(this, 'ScanActionRole', { assumedBy: new iam.AccountRootPrincipal() });
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName,
      pipelineType: codepipeline.PipelineType.V2,
      executionMode: props.executionMode ?? codepipeline.ExecutionMode.QUEUED,
      artifactBucket: props.artifactBucket,
      // Same account and region only: no KMS key for cross-account artifact access.
      crossAccountKeys: false,
      restartExecutionOnUpdate: props.restartExecutionOnUpdate ?? true,
      stages: [
        { stageName: 'Source', actions: [props.input.action, props.scanner.action] },
        {
          stageName: 'Scan',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'Scan',
              role: this.scanActionRole,
              project: props.scan.project,
              input: props.input.artifact,
              extraInputs: [props.scanner.artifact],
              // Only the pipeline's own variables: the settings are in the Scanner artifact.
              environmentVariables: {
                PIPELINE_EXECUTION_ID: { value: codepipeline.GlobalVariables.executionId },
                SOURCE_REVISION: { value: props.input.revision },
              },
            }),
          ],
        },
      ],
    });
    const actionRoles = [props.input.role, props.scanner.role, this.scanActionRole];
    this.waitForRoles([this.pipeline.role, ...actionRoles]);
    props.input.bindTrigger?.(this.pipeline);

    for (const scope of [this.pipeline, ...actionRoles]) {
      acknowledgeNag(
        scope,
        'AwsSolutions-IAM5',
        "CDK's grants to the pipeline and its actions: read/write on the pipeline's own artifact bucket, where CodePipeline writes artifacts under random keys, and, for the Scanner action, read on the CDK bootstrap bucket limited to the one asset object (plus the bucket-level Get/List CodePipeline's S3 source uses to check versioning). No other bucket or object.",
        [
          'Action::s3:GetObject*',
          'Action::s3:GetBucket*',
          'Action::s3:List*',
          'Action::s3:DeleteObject*',
          'Action::s3:Abort*',
          bucketArnFinding(props.artifactBucket, '/*'),
        ],
      );
    }
  }

  /**
   * CodePipeline starts a run as soon as the pipeline exists, but CDK makes the
   * pipeline wait only for its own role's policy, not for those of the action roles
   * (aws/aws-cdk#38861): the first run could then fail with AccessDenied. A
   * dependency on a role covers everything under it, its policy included. Called
   * before any trigger is bound: an EventBridge role's policy names the pipeline,
   * and a dependency on it would be a cycle.
   */
  private waitForRoles(roles: readonly IConstruct[]): void {
    const cfnPipeline = this.pipeline.node.defaultChild as CfnResource;
    for (const role of roles) cfnPipeline.node.addDependency(role);
  }

  private problems(pipelineName: string): string[] {
    const problems: string[] = [];
    if (!Token.isUnresolved(pipelineName) && pipelineName.length > MAX_PIPELINE_NAME)
      problems.push(
        `ScanPipeline: the pipeline name is ${pipelineName.length} characters; CodePipeline takes at most ${MAX_PIPELINE_NAME}`,
      );
    problems.push(...actionConfigurationProblems(Stack.of(this), this.pipeline.node.defaultChild as codepipeline.CfnPipeline));
    return problems;
  }
}

/**
 * Every action configuration value longer than CodePipeline takes, each deploy-time
 * value counted at its allowance; the message names the stage, the action and the key.
 */
export function actionConfigurationProblems(stack: Stack, pipeline: codepipeline.CfnPipeline): string[] {
  const stages = stack.resolve(pipeline.stages) as { name: string; actions: { name: string; configuration?: Record<string, unknown> }[] }[];
  const problems: string[] = [];
  for (const stage of stages ?? []) {
    for (const action of stage.actions ?? []) {
      for (const [key, value] of Object.entries(action.configuration ?? {})) {
        const length = worstCaseLength(value);
        if (length > MAX_ACTION_CONFIGURATION_VALUE) {
          problems.push(
            `pipeline action ${stage.name}/${action.name}: configuration ${key} would be up to ${length} characters; CodePipeline takes at most ${MAX_ACTION_CONFIGURATION_VALUE} (move settings into the Scanner artifact's settings file, lib/scan-settings.ts)`,
          );
        }
      }
    }
  }
  return problems;
}

/** The length of a resolved CloudFormation value: literal text as is, each intrinsic at its allowance. */
export function worstCaseLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.reduce<number>((n, p) => n + worstCaseLength(p), 0) + sep.length * Math.max(0, parts.length - 1);
    }
    return DEPLOY_TIME_VALUE_ALLOWANCE;
  }
  return 0;
}
