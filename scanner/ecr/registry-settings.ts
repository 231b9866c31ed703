/**
 * What the plan's target registry says about how copies into it behave: its pull-through cache
 * rules (DescribePullThroughCacheRules) and whether blob mounting is on (GetAccountSetting
 * BLOB_MOUNTING). One call each per run (the rules page holds up to 1,000; a registry holds at most
 * 50). Both are advice, never needed to compare: a call denied, unknown to an older endpoint or
 * failing leaves a warning and the defaults (no rules, blob mounting unknown), and the run goes on.
 */
import { DescribePullThroughCacheRulesCommand, ECRClient, GetAccountSettingCommand, PullThroughCacheRule } from '@aws-sdk/client-ecr';
import { awsErrorName, classifyAwsError } from '../errors/aws-error';
import { regionHasPullThroughCache } from '../oci/pull-through-upstream';
import { ECR_TARGET_SETTINGS_OPERATIONS, EcrTargetSettingsOperation } from './operations';

export type BlobMounting = 'ENABLED' | 'DISABLED' | 'unknown';

/** A pull-through cache rule the target registry already has. */
export interface ExistingPullThroughCacheRule {
  ecrRepositoryPrefix: string;
  upstreamRegistryUrl: string;
  credentialArn?: string;
  customRoleArn?: string;
  /** ECR-to-ECR rules only: the upstream namespace the rule maps (ROOT or absent: all of it). */
  upstreamRepositoryPrefix?: string;
}

export interface TargetRegistrySettings {
  region: string;
  blobMounting: BlobMounting;
  /** False in regions without the feature (China, GovCloud): no rule is asked for, nothing is suggested. */
  pullThroughCacheAvailable: boolean;
  pullThroughCacheRules: ExistingPullThroughCacheRule[];
  /** What could not be learned and what was assumed instead. */
  warnings: string[];
}

const RULES_PAGE = 1000;
const BLOB_MOUNTING = 'BLOB_MOUNTING';

/** The warning for a failed call, and what is assumed instead. */
function warningOf(err: unknown, operation: EcrTargetSettingsOperation, assumed: string, where: string): string {
  const name = awsErrorName(err) || 'Error';
  // `unsupported`: what an endpoint answers for an operation (or a setting name) it predates.
  const kind = classifyAwsError(err);
  const message = (err as Error).message ?? String(err);
  const action = ECR_TARGET_SETTINGS_OPERATIONS[operation];
  if (kind === 'denied')
    return `ECR ${operation} was denied${where} (the scanner needs the IAM permission ${action}); ${assumed}. AWS said: ${message}`;
  if (kind === 'unsupported') return `the ECR endpoint${where} does not know ${operation} (${name}); ${assumed}`;
  return `ECR ${operation} failed${where} (${name}: ${message}); ${assumed}`;
}

function ruleOf(rule: PullThroughCacheRule): ExistingPullThroughCacheRule | undefined {
  if (!rule.ecrRepositoryPrefix || !rule.upstreamRegistryUrl) return undefined;
  return {
    ecrRepositoryPrefix: rule.ecrRepositoryPrefix,
    upstreamRegistryUrl: rule.upstreamRegistryUrl,
    ...(rule.credentialArn ? { credentialArn: rule.credentialArn } : {}),
    ...(rule.customRoleArn ? { customRoleArn: rule.customRoleArn } : {}),
    ...(rule.upstreamRepositoryPrefix ? { upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix } : {}),
  };
}

/**
 * Reads the registry `client` signs for (its own account, its region). `label` names the registry in
 * warnings when a run reads several.
 */
export async function readTargetRegistrySettings(client: ECRClient, label?: string): Promise<TargetRegistrySettings> {
  const region = await client.config.region();
  const where = label ? ` on ${label}` : '';
  const warnings: string[] = [];
  const available = regionHasPullThroughCache(region);
  const rules = async (): Promise<ExistingPullThroughCacheRule[]> => {
    if (!available) return [];
    try {
      const answer = await client.send(new DescribePullThroughCacheRulesCommand({ maxResults: RULES_PAGE }));
      // At most 50 rules a registry: one page. A longer answer is not followed (the run asked for one call).
      return (answer.pullThroughCacheRules ?? []).flatMap((r) => ruleOf(r) ?? []);
    } catch (err) {
      warnings.push(
        warningOf(
          err,
          'DescribePullThroughCacheRules',
          'existing pull-through cache rules are unknown, the default prefixes are suggested',
          where,
        ),
      );
      return [];
    }
  };
  const blobMounting = async (): Promise<BlobMounting> => {
    try {
      const answer = await client.send(new GetAccountSettingCommand({ name: BLOB_MOUNTING }));
      return answer.value === 'ENABLED' || answer.value === 'DISABLED' ? answer.value : 'unknown';
    } catch (err) {
      warnings.push(warningOf(err, 'GetAccountSetting', 'blob mounting is taken as unknown', where));
      return 'unknown';
    }
  };
  const [pullThroughCacheRules, mounting] = await Promise.all([rules(), blobMounting()]);
  // The two calls run at once; their warnings are put in a fixed order.
  warnings.sort();
  return { region, blobMounting: mounting, pullThroughCacheAvailable: available, pullThroughCacheRules, warnings };
}
