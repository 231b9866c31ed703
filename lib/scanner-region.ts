/**
 * The region the scanner stack is deployed to, where the app must know it at synth: to tell
 * the other scanRegions from the stack's own, and to name the build role that other
 * regions' stacks and other accounts' roles refer to.
 */
import { isRegionName } from '../scanner/oci/ecr-host';
import { ScannerConfig, scansOtherAccounts } from './config';
import { ConfigError } from './settings/context-reader';

/** Where the scanner stack is deployed, as far as the app must know it; `scannerRegions` decides it once. */
export interface ScannerRegions {
  /** The scanner stack's region, with scanRegions only. */
  readonly home?: string;
  /** The scanRegions other than `home`. */
  readonly others: readonly string[];
  /**
   * The region the build role's fixed name is made for (`buildRoleName`), or undefined when
   * the role keeps the name CloudFormation generates. Named when something outside the
   * scanner stack must name it before it exists or without a reference: the exclusion
   * stacks of the other scanRegions, and the member read roles of other accounts, whose
   * trust names its ARN (scannerBuildRoleArn, checked against this name at synth, so that
   * the member stacks may even be deployed first).
   */
  readonly roleRegion?: string;
}

/**
 * The scanner stack's region, the scanRegions beside it, and the build role's region. The
 * stack is environment-agnostic, so its region is the deploying CLI's; without scanRegions
 * it does not matter. With them it must be known: only then can the app tell the other
 * regions (each gets a PullTimeExclusionStack) from the stack's own (which the stack covers
 * itself; a second exclusion of the same role there would fail, and its removal would take
 * the stack's away). With other accounts it must be known too: their read roles trust the
 * build role by its ARN.
 */
export function scannerRegions(config: ScannerConfig, region: string | undefined): ScannerRegions {
  const regions = config.scanScope?.regions ?? [];
  const home =
    regions.length === 0
      ? undefined
      : deployRegion(
          region,
          "scanRegions needs the region the scanner stack is deployed to, to tell the other regions (each gets a stack that registers the build role as a pull-time update exclusion there) from the stack's own",
        );
  const others = regions.filter((r) => r !== home);
  // With other scanRegions, `home` is known already; other accounts alone need it asked for.
  const named = others.length > 0 || scansOtherAccounts(config.scanScope?.accounts);
  const roleRegion = !named
    ? undefined
    : (home ??
      deployRegion(
        region,
        "scanAccounts needs the region the scanner stack is deployed to: the build role, which the member accounts' read roles trust by its ARN, is named after it",
      ));
  return { ...(home !== undefined ? { home } : {}), others, ...(roleRegion !== undefined ? { roleRegion } : {}) };
}

/** The CLI's deploy region (CDK_DEFAULT_REGION), required; `heading` says what needs it. */
function deployRegion(region: string | undefined, heading: string): string {
  if (region === undefined || region === '')
    throw new ConfigError(
      [
        "CDK_DEFAULT_REGION is not set: run the app through the CDK CLI (npx cdk …), which sets it to the region it deploys to (AWS_REGION, else the profile's region, else us-east-1)",
      ],
      heading,
    );
  if (!isRegionName(region))
    throw new ConfigError([`CDK_DEFAULT_REGION: expected a region name such as eu-west-1, got "${region}"`], heading);
  return region;
}
