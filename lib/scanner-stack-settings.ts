/**
 * The scanner stack's props as the Scan stage receives them: the settings file's values
 * (lib/scan-settings.ts writes them) and the project's cross-account access, defaults applied.
 */
import { Token } from 'aws-cdk-lib';
import { scansOtherAccounts } from './config';
import type { ScanSettingsProps } from './ecr-duplicate-scanner-stack';
import type { ScanProjectProps } from './scan-project';
import { ReportLayout, ScanSettings } from './scan-settings';
import { CONTEXT_DEFAULTS } from './settings/keys';

/** What the Scan stage reads from the Scanner artifact's settings file, defaults applied. */
export function scanSettingsOf(props: ScanSettingsProps, layout: ReportLayout, pipelineName?: string): ScanSettings {
  const accounts = props.scanAccounts;
  const organizationScan = accounts !== undefined || props.scanRegions !== undefined;
  const secretArn = props.registryCredentials?.secretArn;
  const target = props.targetRegistry;
  return {
    layout,
    inputFile: props.inputFile ?? CONTEXT_DEFAULTS.inputFile,
    compute: props.compute ?? CONTEXT_DEFAULTS.compute,
    ...(props.scanConcurrency !== undefined ? { concurrency: props.scanConcurrency } : {}),
    insecureRegistries: props.insecureRegistries ?? [],
    ...(props.registryCaFile !== undefined ? { registryCaFile: props.registryCaFile } : {}),
    ...(props.targetPrefix !== undefined ? { targetPrefix: props.targetPrefix } : {}),
    // A token ARN cannot be written into the file; the stack's validation refuses it by name.
    ...(secretArn !== undefined && !Token.isUnresolved(secretArn) ? { registryCredentialsSecretArn: secretArn } : {}),
    notifications: props.notificationEmail !== undefined,
    scanRegions: props.scanRegions ?? [],
    scanAccounts: Array.isArray(accounts) ? (accounts as readonly string[]) : [],
    organization: accounts === 'organization',
    ...(organizationScan ? { memberRoleName: props.memberRoleName ?? CONTEXT_DEFAULTS.memberRoleName } : {}),
    // A token cannot be written into the file either; the validation refuses it by name.
    ...(target !== undefined && !Token.isUnresolved(target) ? { targetRegistry: target } : {}),
    ...assumeRoleAdviceOf(props, pipelineName),
  };
}

/**
 * What a registry whose member read role cannot be assumed should say: which stacks create
 * the role, and the command that runs the scan again once they are deployed. The run on
 * the pipeline's creation comes before any member stack when the scanner stack is deployed
 * first; CodePipeline starts it whatever the pipeline's settings.
 */
function assumeRoleAdviceOf(props: ScanSettingsProps, pipelineName: string | undefined): Pick<ScanSettings, 'assumeRoleAdvice'> {
  if (!scansOtherAccounts(props.scanAccounts)) return {};
  const stacks = (props.memberRoleStacks ?? []).filter((s) => !Token.isUnresolved(s));
  const rerun =
    pipelineName !== undefined && !Token.isUnresolved(pipelineName)
      ? `aws codepipeline start-pipeline-execution --name ${pipelineName}`
      : undefined;
  const parts = [
    ...(stacks.length > 0 ? [`deploy ${stacks.join(' and ')} in the organization's management account`] : []),
    ...(rerun !== undefined ? [`${stacks.length > 0 ? 'then ' : ''}re-run the scan: ${rerun}`] : []),
  ];
  return parts.length > 0 ? { assumeRoleAdvice: parts.join(', ') } : {};
}

export function organizationProps(props: ScanSettingsProps): Pick<ScanProjectProps, 'inventoryRegions' | 'memberAccess'> {
  const accounts = props.scanAccounts;
  return {
    ...(props.scanRegions !== undefined ? { inventoryRegions: props.scanRegions } : {}),
    ...(accounts !== undefined && scansOtherAccounts(accounts)
      ? { memberAccess: { roleName: props.memberRoleName ?? CONTEXT_DEFAULTS.memberRoleName, accounts } }
      : {}),
  };
}
