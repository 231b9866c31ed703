/**
 * What the pipeline hands the Scan stage (scan.sh and the scanner):
 *
 * - the S3 layout of a run (scanner/storage/s3-layout.ts: the report prefix rule, the run
 *   folder, `latest/`, the digest cache keys), which ReportStore grants on, scan.sh writes
 *   to and the scanner reads and writes its caches by;
 * - the settings file the stack writes into the Scanner artifact next to scan.sh, whose
 *   variables scanner/settings/settings-file.ts names (and who reads each: the scanner with
 *   `--settings`, or scan.sh).
 *
 * The settings travel in the artifact rather than as variables of the pipeline's
 * Scan action: CodePipeline limits an action configuration value to 1,000
 * characters, and the artifact is a file asset whose key changes with its content,
 * so a changed setting still changes the pipeline resource and re-runs it.
 *
 * The S3 layout itself is scanner/storage/s3-layout.ts's, which the scanner reads too.
 */

/** The settings file's name inside the Scanner artifact (next to scan.sh and cli.js). */
export const SCAN_SETTINGS_FILE = 'settings.env';

export { reportLayout, type ReportLayout } from '../scanner/storage/s3-layout';
import type { ReportLayout } from '../scanner/storage/s3-layout';
import { SETTINGS_FLAG_ON, SETTINGS_LIST_SEPARATOR, SettingsVariable, formatSettingsFile } from '../scanner/settings/settings-file';

/** What the scan reads from the settings file; every value is known at synth time. */
export interface ScanSettings {
  readonly layout: ReportLayout;
  /** Path of input.txt in the input source. */
  readonly inputFile: string;
  /** `lambda` or `ec2`; only printed, named so that a change of compute re-runs the pipeline. */
  readonly compute: string;
  /** `--concurrency`; absent for the scanner's default. */
  readonly concurrency?: number;
  /** `--insecure-registry` hosts. */
  readonly insecureRegistries: readonly string[];
  /** PEM bundle of private CAs in the input source. */
  readonly registryCaFile?: string;
  /** `--target-prefix` of the plan. */
  readonly targetPrefix?: string;
  /**
   * The secret CodeBuild resolves into REGISTRY_CREDENTIALS (the project's variable);
   * recorded so that pointing at another secret re-runs the pipeline. Only the ARN.
   */
  readonly registryCredentialsSecretArn?: string;
  /** Whether the project passes a topic in NOTIFY_TOPIC_ARN; recorded so that turning it on re-runs. */
  readonly notifications: boolean;
  /** `--region` for each; empty: the build's own region. */
  readonly scanRegions: readonly string[];
  /** `--account` for each; empty: the build's own account (or the organization). */
  readonly scanAccounts: readonly string[];
  /** `--organization`: every active account of the organization. */
  readonly organization: boolean;
  /** `--role-name` of the member read role; absent when only the build's own account is scanned. */
  readonly memberRoleName?: string;
  /** `--target-registry`: the plan's target registry host; absent for the scanner's default. */
  readonly targetRegistry?: string;
  /** `--assume-role-advice`: what creates the member read roles and how to re-run; absent without other accounts. */
  readonly assumeRoleAdvice?: string;
}

/** The settings file's variables (scanner/settings/settings-file.ts names them and who reads each). */
function scanSettingsVariables(s: ScanSettings): Partial<Record<SettingsVariable, string>> {
  const list = (values: readonly string[]): string | undefined => (values.length > 0 ? values.join(SETTINGS_LIST_SEPARATOR) : undefined);
  const vars: Partial<Record<SettingsVariable, string | undefined>> = {
    INPUT_FILE: s.inputFile,
    REPORT_PREFIX: s.layout.prefix,
    RUN_FOLDER: s.layout.runFolderPattern,
    LATEST_FOLDER: s.layout.latestFolder,
    DIGEST_CACHE_KEY: s.layout.cacheKey,
    SCAN_COMPUTE: s.compute,
    SCAN_CONCURRENCY: s.concurrency === undefined ? undefined : String(s.concurrency),
    INSECURE_REGISTRIES: list(s.insecureRegistries),
    REGISTRY_CA_FILE: s.registryCaFile,
    TARGET_PREFIX: s.targetPrefix,
    REGISTRY_CREDENTIALS_SECRET: s.registryCredentialsSecretArn,
    NOTIFICATIONS: s.notifications ? SETTINGS_FLAG_ON : undefined,
    SCAN_REGIONS: list(s.scanRegions),
    SCAN_ACCOUNTS: list(s.scanAccounts),
    SCAN_ORGANIZATION: s.organization ? SETTINGS_FLAG_ON : undefined,
    MEMBER_ROLE_NAME: s.memberRoleName,
    TARGET_REGISTRY: s.targetRegistry,
    ASSUME_ROLE_ADVICE: s.assumeRoleAdvice,
  };
  return Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)) as Partial<Record<SettingsVariable, string>>;
}

/** The settings file's text: one `NAME=value` line each. */
export function scanSettingsFile(s: ScanSettings): string {
  return formatSettingsFile(
    scanSettingsVariables(s),
    'Written by the stack (lib/scan-settings.ts); scan.sh and the scanner (--settings) read it. Do not edit.',
  );
}
