import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { INPUT_ARTIFACT_NAME, INPUT_VARIABLES_NAMESPACE, InputOutput, ScanInput } from './scan-input';

export interface ConnectionInputProps {
  /** ARN of an existing CodeConnections (formerly CodeStar Connections) connection in AVAILABLE state. No default. */
  readonly connectionArn: string;
  /** Owner (user, organisation, workspace or GitLab group path) of the repository. No default. */
  readonly owner: string;
  /** Repository name. No default. */
  readonly repo: string;
  /** Branch whose pushes start a scan. No default (CONTEXT_DEFAULTS.branch in lib/settings/keys.ts). */
  readonly branch: string;
}

/**
 * A GitHub, GitLab or Bitbucket repository reached through a connection that
 * already exists (creating one needs a human to authorise it in the provider's UI).
 * A push to the branch starts the pipeline through the connection's webhook.
 */
export class ConnectionInput extends Construct implements ScanInput {
  readonly artifact = new codepipeline.Artifact(INPUT_ARTIFACT_NAME);
  readonly action: actions.CodeStarConnectionsSourceAction;
  readonly revision: string;
  readonly outputs: Readonly<Record<string, InputOutput>>;
  /** The action's role: what CDK would create, plus the CodeConnections name of its one permission. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ConnectionInputProps) {
    super(scope, id);
    const branch = props.branch;
    this.role = new iam.Role(this, 'ActionRole', { assumedBy: new iam.AccountRootPrincipal() });
    // CDK grants codestar-connections:UseConnection; a connection created since the
    // rename has a codeconnections ARN, which IAM matches under the new prefix.
    if (props.connectionArn.split(':')[2] === 'codeconnections') {
      iam.Grant.addToPrincipal({ grantee: this.role, actions: ['codeconnections:UseConnection'], resourceArns: [props.connectionArn] });
    }
    this.action = new actions.CodeStarConnectionsSourceAction({
      role: this.role,
      actionName: 'Input',
      connectionArn: props.connectionArn,
      owner: props.owner,
      repo: props.repo,
      branch,
      output: this.artifact,
      triggerOnPush: true,
      variablesNamespace: INPUT_VARIABLES_NAMESPACE,
    });
    this.revision = this.action.variables.commitId;
    this.outputs = {
      InputRepository: {
        value: `${props.owner}/${props.repo}@${branch}`,
        description: 'Repository and branch whose input.txt is scanned on every push',
      },
    };
  }
}
