import { CfnResource, Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ScanInput } from './input/scan-input';
import { acknowledgeNag, bucketArnFinding } from './nag';
import { ScanProject } from './scan-project';
import { ScannerArtifact } from './scanner-artifact';

export interface ScanPipelineProps {
  /** Bucket for the pipeline's artifacts. No default: the build role's grants name it. */
  readonly artifactBucket: s3.IBucket;
  /** Where input.txt comes from. No default. */
  readonly input: ScanInput;
  /** The bundled scanner. No default. */
  readonly scanner: ScannerArtifact;
  /** The build that runs it. No default. */
  readonly scan: ScanProject;
  /**
   * Pipeline name.
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
   * pipeline resource counts, which is why every setting travels in the Scan
   * action's environment (ScanProject.actionEnvironment).
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

  constructor(scope: Construct, id: string, props: ScanPipelineProps) {
    super(scope, id);
    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName ?? Stack.of(this).stackName,
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
              project: props.scan.project,
              input: props.input.artifact,
              extraInputs: [props.scanner.artifact],
              environmentVariables: {
                PIPELINE_EXECUTION_ID: { value: codepipeline.GlobalVariables.executionId },
                SOURCE_REVISION: { value: props.input.revision },
                ...props.scan.actionEnvironment,
              },
            }),
          ],
        },
      ],
    });
    this.waitForActionPolicies(props.input.action.actionProperties.role);
    props.input.bindTrigger?.(this.pipeline);

    // The same grants land on a source action role the input brought itself.
    const inputRole = props.input.action.actionProperties.role;
    for (const scope of [this.pipeline, ...(inputRole ? [inputRole] : [])]) {
      acknowledgeNag(
        scope,
        'AwsSolutions-IAM5',
        "CDK's grants to the pipeline and its source actions: read/write on the pipeline's own artifact bucket, where CodePipeline writes artifacts under random keys, and, for the Scanner action, read on the CDK bootstrap bucket limited to the one asset object (plus the bucket-level Get/List CodePipeline's S3 source uses to check versioning). No other bucket or object.",
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
   * (aws/aws-cdk#38861): the first run could then fail with AccessDenied. So the
   * pipeline depends on every action role's policy as well. Called before any
   * trigger is bound: an EventBridge role's policy names the pipeline, and a
   * dependency on it would be a cycle.
   */
  private waitForActionPolicies(inputRole: iam.IRole | undefined): void {
    // CDK names the roles it makes for actions "CodePipelineActionRole"; others in the
    // tree (the EventBridge role of a CodeCommit trigger) name the pipeline in their policy.
    const actionRoles = this.pipeline.node
      .findAll()
      .filter((c): c is iam.Role => c instanceof iam.Role && c.node.id === 'CodePipelineActionRole');
    const roles = [this.pipeline.role, ...actionRoles, ...(inputRole ? [inputRole] : [])];
    const cfnPipeline = this.pipeline.node.defaultChild as CfnResource;
    for (const role of roles) {
      const policy = role.node.tryFindChild('DefaultPolicy');
      if (policy instanceof iam.Policy) cfnPipeline.node.addDependency(policy);
    }
  }
}
