import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';

/** Namespace of the input action's variables, e.g. `#{SourceVariables.CommitId}`. */
export const INPUT_VARIABLES_NAMESPACE = 'SourceVariables';
/** Name of the input artifact; the build sees it as CODEBUILD_SRC_DIR (the primary source). */
export const INPUT_ARTIFACT_NAME = 'Input';

/** A stack output that tells the user where input.txt goes. */
export interface InputOutput {
  readonly value: string;
  readonly description: string;
}

/** A place input.txt comes from, as the pipeline's Source stage sees it. */
export interface ScanInput {
  /** The Source-stage action that delivers input.txt in `artifact`. */
  readonly action: codepipeline.IAction;
  /** The action's role, made by the input (not left to CDK), so the pipeline can wait for its policy. */
  readonly role: iam.Role;
  readonly artifact: codepipeline.Artifact;
  /** A pipeline variable that resolves to the input's revision (commit ID or S3 version ID). */
  readonly revision: string;
  /** Stack outputs, by logical ID, telling the user how to change the input. */
  readonly outputs: Readonly<Record<string, InputOutput>>;
  /**
   * Starts `pipeline` when the input changes, for sources whose action does not
   * do it itself.
   */
  bindTrigger?(pipeline: codepipeline.IPipeline): void;
}
