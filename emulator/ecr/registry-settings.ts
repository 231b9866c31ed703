/**
 * A registry's settings beside its repositories: pull-through cache rules
 * (DescribePullThroughCacheRules, CreatePullThroughCacheRule) and account
 * settings (GetAccountSetting, PutAccountSetting; BLOB_MOUNTING, cross-repository blob mounting), with
 * the request and response shapes of ECR's API and its limits: a prefix of 2
 * to 30 characters or `ROOT`, at most 50 rules a registry, the upstreams ECR
 * supports. Kept per registry (ECR keeps both per account and region).
 */
import {
  PULL_THROUGH_RULES_MAX,
  UpstreamRegistryKind,
  pullThroughPrefixProblem,
  pullThroughUpstreamOf,
} from '../../scanner/oci/pull-through-upstream';
import {
  EcrServiceError,
  JsonObject,
  constraint,
  decodeToken,
  encodeToken,
  invalid,
  optionalString as text,
  pageLimit,
  requiredString as required,
  stringList,
} from './api';

/** A rule as a test gives it; `upstreamRegistry` is derived from the URL when absent, as ECR does. */
export interface PullThroughCacheRuleContent {
  ecrRepositoryPrefix: string;
  upstreamRegistryUrl: string;
  upstreamRegistry?: UpstreamRegistryKind;
  credentialArn?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix?: string;
  createdAt?: Date;
}

export interface RegistrySettingsContent {
  pullThroughCacheRules?: PullThroughCacheRuleContent[];
  /** Account settings by name, e.g. `{ BLOB_MOUNTING: 'ENABLED' }`. */
  accountSettings?: Record<string, string>;
}

/** Settings ECR knows and the values each takes; an unset one reads as its default. */
const ACCOUNT_SETTINGS: Readonly<Record<string, { values: readonly string[]; default: string }>> = {
  BLOB_MOUNTING: { values: ['ENABLED', 'DISABLED'], default: 'DISABLED' },
  BASIC_SCAN_TYPE_VERSION: { values: ['AWS_NATIVE', 'CLAIR'], default: 'AWS_NATIVE' },
  REGISTRY_POLICY_SCOPE: { values: ['V1', 'V2'], default: 'V2' },
};

const CREDENTIAL_ARN = /^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr-pullthroughcache\/[a-zA-Z0-9/_+=.@-]+$/;

function checkPrefix(field: string, prefix: string): void {
  const problem = pullThroughPrefixProblem(prefix);
  if (problem) throw constraint(field, `Member ${problem}`);
}

interface StoredRule extends Required<Pick<PullThroughCacheRuleContent, 'ecrRepositoryPrefix' | 'upstreamRegistryUrl'>> {
  upstreamRegistry: UpstreamRegistryKind;
  credentialArn?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix?: string;
  createdAtMs: number;
}

export class RegistrySettings {
  /** In creation order, which DescribePullThroughCacheRules pages through. */
  private readonly rules: StoredRule[] = [];
  private readonly accountSettings = new Map<string, string>();

  constructor(
    content: RegistrySettingsContent = {},
    private readonly now: () => number = Date.now,
  ) {
    for (const rule of content.pullThroughCacheRules ?? []) this.addRule(rule);
    for (const [name, value] of Object.entries(content.accountSettings ?? {})) this.putAccountSetting(name, value);
  }

  /** Adds a rule as CreatePullThroughCacheRule would, with its checks; throws its errors. */
  addRule(rule: PullThroughCacheRuleContent): StoredRule {
    checkPrefix('ecrRepositoryPrefix', rule.ecrRepositoryPrefix);
    if (rule.upstreamRepositoryPrefix !== undefined) checkPrefix('upstreamRepositoryPrefix', rule.upstreamRepositoryPrefix);
    const upstream = pullThroughUpstreamOf(rule.upstreamRegistryUrl);
    if (!upstream) {
      throw new EcrServiceError(
        'UnsupportedUpstreamRegistryException',
        `The specified upstream registry ${rule.upstreamRegistryUrl} is not supported for pull through cache`,
      );
    }
    if (rule.credentialArn !== undefined && !CREDENTIAL_ARN.test(rule.credentialArn))
      throw invalid(`Invalid parameter at 'credentialArn': '${rule.credentialArn}' is not a secret named ecr-pullthroughcache/…`);
    if (upstream.credentials !== null && upstream.kind !== 'ecr' && rule.credentialArn === undefined)
      throw invalid(`A credentialArn is required for the upstream registry ${rule.upstreamRegistryUrl}`);
    if (this.rules.some((r) => r.ecrRepositoryPrefix === rule.ecrRepositoryPrefix)) {
      throw new EcrServiceError(
        'PullThroughCacheRuleAlreadyExistsException',
        `A pull through cache rule with the prefix '${rule.ecrRepositoryPrefix}' already exists`,
      );
    }
    if (this.rules.length >= PULL_THROUGH_RULES_MAX) {
      throw new EcrServiceError(
        'LimitExceededException',
        `The maximum number of pull through cache rules (${PULL_THROUGH_RULES_MAX}) for this registry has been reached`,
      );
    }
    const stored: StoredRule = {
      ecrRepositoryPrefix: rule.ecrRepositoryPrefix,
      upstreamRegistryUrl: rule.upstreamRegistryUrl,
      upstreamRegistry: rule.upstreamRegistry ?? upstream.kind,
      ...(rule.credentialArn !== undefined ? { credentialArn: rule.credentialArn } : {}),
      ...(rule.customRoleArn !== undefined ? { customRoleArn: rule.customRoleArn } : {}),
      ...(rule.upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix } : {}),
      createdAtMs: rule.createdAt?.getTime() ?? this.now(),
    };
    this.rules.push(stored);
    return stored;
  }

  putAccountSetting(name: string, value: string): void {
    const known = ACCOUNT_SETTINGS[name];
    if (!known) throw invalid(`Invalid parameter at 'name': '${name}' is not a supported account setting`);
    if (!known.values.includes(value))
      throw invalid(`Invalid parameter at 'value': ${name} takes one of ${known.values.join(', ')}, got '${value}'`);
    this.accountSettings.set(name, value);
  }

  accountSetting(name: string): string {
    const known = ACCOUNT_SETTINGS[name];
    if (!known) throw invalid(`Invalid parameter at 'name': '${name}' is not a supported account setting`);
    return this.accountSettings.get(name) ?? known.default;
  }

  /** The rules' prefixes, in creation order (for tests). */
  rulePrefixes(): string[] {
    return this.rules.map((r) => r.ecrRepositoryPrefix);
  }

  /** ECR's answer for a rule; `registryId` is the registry's own account. */
  private ruleJson(rule: StoredRule, registryId: string): JsonObject {
    return {
      ecrRepositoryPrefix: rule.ecrRepositoryPrefix,
      upstreamRegistryUrl: rule.upstreamRegistryUrl,
      createdAt: rule.createdAtMs / 1000,
      registryId,
      ...(rule.credentialArn !== undefined ? { credentialArn: rule.credentialArn } : {}),
      ...(rule.customRoleArn !== undefined ? { customRoleArn: rule.customRoleArn } : {}),
      ...(rule.upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix } : {}),
      upstreamRegistry: rule.upstreamRegistry,
      updatedAt: rule.createdAtMs / 1000,
    };
  }

  /** Paginated by position; `ecrRepositoryPrefixes` names rules, and one that does not exist is an error (as in ECR). */
  describeRules(input: JsonObject, registryId: string, pageCap: number | undefined): JsonObject {
    const wanted = stringList(input, 'ecrRepositoryPrefixes', 100);
    if (wanted !== undefined) {
      for (const p of wanted) checkPrefix('ecrRepositoryPrefixes', p);
      const missing = wanted.find((p) => !this.rules.some((r) => r.ecrRepositoryPrefix === p));
      if (missing !== undefined) {
        throw new EcrServiceError(
          'PullThroughCacheRuleNotFoundException',
          `The pull through cache rule with prefix '${missing}' does not exist in the registry with id '${registryId}'`,
        );
      }
    }
    const limit = pageLimit(input, pageCap);
    const start = decodeToken(text(input, 'nextToken'), { op: 'DescribePullThroughCacheRules', repo: 0 })?.pos ?? 0;
    const matching = this.rules.filter((r) => wanted === undefined || wanted.includes(r.ecrRepositoryPrefix));
    const page = matching.slice(start, start + limit);
    const next = start + limit < matching.length ? start + limit : undefined;
    return {
      pullThroughCacheRules: page.map((r) => this.ruleJson(r, registryId)),
      ...(next !== undefined ? { nextToken: encodeToken({ op: 'DescribePullThroughCacheRules', repo: 0, pos: next }) } : {}),
    };
  }

  createRule(input: JsonObject, registryId: string): JsonObject {
    const upstreamRegistry = text(input, 'upstreamRegistry');
    const credentialArn = text(input, 'credentialArn');
    const customRoleArn = text(input, 'customRoleArn');
    const upstreamRepositoryPrefix = text(input, 'upstreamRepositoryPrefix');
    const rule = this.addRule({
      ecrRepositoryPrefix: required(input, 'ecrRepositoryPrefix'),
      upstreamRegistryUrl: required(input, 'upstreamRegistryUrl'),
      ...(upstreamRegistry !== undefined ? { upstreamRegistry: upstreamRegistry as UpstreamRegistryKind } : {}),
      ...(credentialArn !== undefined ? { credentialArn } : {}),
      ...(customRoleArn !== undefined ? { customRoleArn } : {}),
      ...(upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix } : {}),
    });
    // CreatePullThroughCacheRule's answer has no updatedAt.
    const created = this.ruleJson(rule, registryId);
    delete created.updatedAt;
    return created;
  }

  getAccountSettingOperation(input: JsonObject): JsonObject {
    const name = required(input, 'name');
    return { name, value: this.accountSetting(name) };
  }

  putAccountSettingOperation(input: JsonObject): JsonObject {
    const name = required(input, 'name');
    const value = required(input, 'value');
    this.putAccountSetting(name, value);
    return { name, value };
  }
}
