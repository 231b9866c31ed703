import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import { Construct } from 'constructs';
import { INPUT_ARTIFACT_NAME, INPUT_VARIABLES_NAMESPACE, InputOutput, ScanInput } from './scan-input';

export interface CodeCommitInputProps {
  /** Name of the repository the stack creates. No default (readConfig derives one from the stack name). */
  readonly repositoryName: string;
  /** Branch whose pushes start a scan. No default (CONTEXT_DEFAULTS.branch in lib/settings/keys.ts). */
  readonly branch: string;
  /**
   * Directory committed to `branch` when the repository is created (and never again):
   * a sample input.txt and a README. The repository's later history is the user's.
   * @default the repository starts empty
   */
  readonly seedDirectory?: string;
}

/**
 * A CodeCommit repository created by the stack; a push to the branch starts the
 * pipeline through an EventBridge rule, not polling. The repository is deleted with
 * the stack: it holds only input lists, which every report records anyway.
 */
export class CodeCommitInput extends Construct implements ScanInput {
  readonly repository: codecommit.Repository;
  readonly artifact = new codepipeline.Artifact(INPUT_ARTIFACT_NAME);
  /** The action's role (ScanInput.role). */
  readonly role: iam.Role;
  readonly action: actions.CodeCommitSourceAction;
  readonly revision: string;
  readonly outputs: Readonly<Record<string, InputOutput>>;

  constructor(scope: Construct, id: string, props: CodeCommitInputProps) {
    super(scope, id);
    const branch = props.branch;
    this.repository = new codecommit.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      description: 'input.txt for the ECR duplicate scanner: a push to the branch runs a scan',
      ...(props.seedDirectory ? { code: codecommit.Code.fromDirectory(props.seedDirectory, branch) } : {}),
    });
    // What CDK would create for the action: a role the pipeline's role may assume.
    this.role = new iam.Role(this, 'ActionRole', { assumedBy: new iam.AccountRootPrincipal() });
    this.action = new actions.CodeCommitSourceAction({
      role: this.role,
      actionName: 'Input',
      repository: this.repository,
      branch,
      output: this.artifact,
      trigger: actions.CodeCommitTrigger.EVENTS,
      variablesNamespace: INPUT_VARIABLES_NAMESPACE,
    });
    this.revision = this.action.variables.commitId;
    this.outputs = {
      InputCloneUrlHttps: {
        value: this.repository.repositoryCloneUrlHttp,
        description: `git clone URL (HTTPS); commit input.txt to ${branch}`,
      },
      InputCloneUrlGrc: {
        value: this.repository.repositoryCloneUrlGrc,
        description: `git clone URL for git-remote-codecommit; commit input.txt to ${branch}`,
      },
    };
  }
}
