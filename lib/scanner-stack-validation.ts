/**
 * What the scanner stack refuses in its own props (run at synth by node.addValidation):
 * each value by its context key's rule in the key table (lib/settings/keys.ts), the same
 * words a `-c` user gets, and how props relate. Each problem names its prop. The
 * constructs inside check theirs (ScanProject: compute, timeout, VPC sizes, key without secret).
 */
import { Token } from 'aws-cdk-lib';
import { isRegionName } from '../scanner/oci/ecr-host';
import { scansOtherAccounts } from './config';
import type { EcrDuplicateScannerStackProps, InputSourceKind } from './ecr-duplicate-scanner-stack';
import type { EnumKeyName, IntegerKeyName, ListKeyName, TextKeyName } from './settings/context-reader';
import { enumProblem, integerProblem, listProblems, textValueProblems } from './settings/key-checks';
import { CONTEXT_DEFAULTS, CONTEXT_KEY_TABLE } from './settings/keys';

type Props = EcrDuplicateScannerStackProps;

/** Props that are their context key's value, as is. */
const TEXT_PROPS = [
  'repositoryName',
  'branch',
  'connectionArn',
  'repository',
  'inputObjectKey',
  'inputFile',
  'reportPrefix',
  'schedule',
  'notificationEmail',
  'registryCaFile',
  'targetPrefix',
  'memberRoleName',
  'targetRegistry',
] as const satisfies readonly (TextKeyName & keyof Props)[];
const ENUM_PROPS = ['source', 'compute'] as const satisfies readonly (EnumKeyName & keyof Props)[];
const INTEGER_PROPS = ['reportRetentionDays', 'scanConcurrency'] as const satisfies readonly (IntegerKeyName & keyof Props)[];
const LIST_PROPS = ['ecrSourceAccounts', 'insecureRegistries', 'scanRegions'] as const satisfies readonly (ListKeyName & keyof Props)[];

/** Props each meaningful only with a given source. */
const SOURCE_ONLY_PROPS: readonly [keyof Props, readonly InputSourceKind[]][] = [
  ['repositoryName', ['codecommit']],
  ['branch', ['codecommit', 'connection']],
  ['inputObjectKey', ['s3']],
  ['connectionArn', ['connection']],
  ['repository', ['connection']],
];

/** Each prop's value by its context key's rule; values derived from a prop (a secret's ARN, the VPC's IDs) too. */
function valueProblems(props: Props, stackName: string): [string, string][] {
  const out: [string, string][] = [];
  const add = (prop: string, problems: readonly string[]): void => {
    for (const p of problems) out.push([prop, p]);
  };
  add('stackName', textValueProblems(CONTEXT_KEY_TABLE.stackName, stackName));
  for (const prop of TEXT_PROPS) add(prop, textValueProblems(CONTEXT_KEY_TABLE[prop], props[prop]));
  for (const prop of ENUM_PROPS) {
    const value = props[prop];
    const problem = value === undefined ? undefined : enumProblem(CONTEXT_KEY_TABLE[prop], value);
    if (problem !== undefined) add(prop, [problem]);
  }
  for (const prop of INTEGER_PROPS) {
    const value = props[prop];
    const problem =
      value === undefined || Token.isUnresolved(value) ? undefined : integerProblem(CONTEXT_KEY_TABLE[prop], value, String(value));
    if (problem !== undefined) add(prop, [problem]);
  }
  for (const prop of LIST_PROPS)
    add(
      prop,
      listProblems(
        CONTEXT_KEY_TABLE[prop],
        (props[prop] ?? []).filter((v) => !Token.isUnresolved(v)),
      ),
    );
  if (Array.isArray(props.scanAccounts))
    add('scanAccounts', listProblems(CONTEXT_KEY_TABLE.scanAccounts, props.scanAccounts as readonly string[]));
  if (props.vpc) {
    add('vpc', textValueProblems(CONTEXT_KEY_TABLE.vpcId, props.vpc.vpcId));
    add('vpc', listProblems(CONTEXT_KEY_TABLE.subnetIds, props.vpc.subnetIds));
    add('vpc', listProblems(CONTEXT_KEY_TABLE.securityGroupIds, props.vpc.securityGroupIds));
  }
  add('registryCredentials', textValueProblems(CONTEXT_KEY_TABLE.registryCredentialsSecret, props.registryCredentials?.secretFullArn));
  add('registryCredentialsKey', textValueProblems(CONTEXT_KEY_TABLE.registryCredentialsKmsKey, props.registryCredentialsKey?.keyArn));
  return out;
}

/** How props relate: which belong to which source, what needs what, what must be known at synth. */
function relationProblems(props: Props): [keyof Props, string][] {
  const out: [keyof Props, string][] = [];
  const source = props.source ?? CONTEXT_DEFAULTS.source;
  for (const [prop, sources] of SOURCE_ONLY_PROPS)
    if (props[prop] !== undefined && !sources.includes(source)) out.push([prop, `only meaningful with source ${sources.join(' or ')}`]);
  if (source === 'connection') {
    if (props.connectionArn === undefined) out.push(['connectionArn', 'required with source connection']);
    if (props.repository === undefined) out.push(['repository', 'required with source connection, as owner/repo']);
  }
  const secret = props.registryCredentials;
  // The settings file records the ARN, and IAM matches a secret by its complete ARN.
  if (secret && (secret.secretFullArn === undefined || Token.isUnresolved(secret.secretArn)))
    out.push(['registryCredentials', 'expected a secret named by its complete ARN (Secret.fromSecretCompleteArn)']);
  if (Array.isArray(props.scanAccounts) && props.scanAccounts.length === 0)
    out.push(['scanAccounts', "expected 'organization' or at least one account ID (leave it out for this account only)"]);
  const organizationScan = props.scanAccounts !== undefined || props.scanRegions !== undefined;
  for (const prop of ['memberRoleName', 'targetRegistry'] as const)
    if (props[prop] !== undefined && !organizationScan) out.push([prop, 'only meaningful with scanAccounts or scanRegions']);
  if (props.memberRoleStacks !== undefined && !scansOtherAccounts(props.scanAccounts))
    out.push(['memberRoleStacks', 'only meaningful with scanAccounts']);
  // Written into the settings file, so known at synth.
  if (props.targetRegistry !== undefined && Token.isUnresolved(props.targetRegistry))
    out.push(['targetRegistry', 'expected a host known at synth, not a token']);
  const region = props.deployRegion;
  if (region !== undefined && (Token.isUnresolved(region) || !isRegionName(region)))
    out.push(['deployRegion', `expected a region name known at synth, such as eu-west-1, got "${region}"`]);
  return out;
}

export function stackPropsProblems(props: Props, stackName: string): string[] {
  return [...valueProblems(props, stackName), ...relationProblems(props)].map(
    ([prop, text]) => `EcrDuplicateScannerStack: ${prop}: ${text}`,
  );
}
