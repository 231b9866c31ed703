/**
 * IAM role names: the build role's fixed name, and IAM's rules for any role name the
 * stacks set.
 */
import { createHash } from 'node:crypto';
import { isRegionName } from '../scanner/oci/ecr-host';
import { MAX_ROLE_NAME } from '../scanner/settings/member-role';
import { textValueProblems } from './settings/key-checks';
import { CONTEXT_KEY_TABLE } from './settings/keys';

// IAM's rule for a role name is the scanner's too (--role-name): one home, scanner/settings/member-role.ts.
export { MAX_ROLE_NAME } from '../scanner/settings/member-role';
/** What the build role's fixed name puts between the scanner stack's name and its region. */
const BUILD_ROLE_INFIX = '-ScanBuild-';
/** Hex digits of the hash that stands for a shortened stack name. */
const NAME_HASH_LENGTH = 8;

/**
 * The build role's fixed name when other regions' stacks must name it (IAM is global, so
 * the name carries the region: two scanner stacks of one name in two regions of an account
 * get two roles). `<stackName>-ScanBuild-<region>` when that fits IAM's 64 characters;
 * else the stack name is cut and a hash of the whole name and region stands in for the
 * rest, so two long names that share a beginning still differ. The same inputs give the
 * same name on every synth.
 */
export function buildRoleName(scannerStackName: string, region: string): string {
  const plain = `${scannerStackName}${BUILD_ROLE_INFIX}${region}`;
  if (plain.length <= MAX_ROLE_NAME) return plain;
  const hash = createHash('sha256').update(`${scannerStackName}\n${region}`).digest('hex').slice(0, NAME_HASH_LENGTH);
  const tail = `${BUILD_ROLE_INFIX}${region}`;
  const room = MAX_ROLE_NAME - tail.length - 1 - hash.length;
  // A region too long to show (no region AWS has) leaves the stack name's beginning and the hash.
  if (room < 1) return `${scannerStackName.slice(0, MAX_ROLE_NAME - 1 - hash.length)}-${hash}`;
  return `${scannerStackName.slice(0, room)}-${hash}${tail}`;
}

/**
 * Whether `roleName` is a name `buildRoleName` gives the build role of the scanner stack
 * `scannerStackName` in some region. The region is the text after the last infix; the
 * name is made again from it and compared, so a shortened name's hash is checked too.
 */
export function isBuildRoleName(scannerStackName: string, roleName: string): boolean {
  const cut = roleName.lastIndexOf(BUILD_ROLE_INFIX);
  if (cut < 0) return false;
  const region = roleName.slice(cut + BUILD_ROLE_INFIX.length);
  return isRegionName(region) && buildRoleName(scannerStackName, region) === roleName;
}

/**
 * IAM's rules for a role name known at synth (a token is CloudFormation's to check), each
 * problem starting with `what`: the rule and words of the context key memberRoleName.
 */
export function roleNameProblems(what: string, roleName: string): string[] {
  return textValueProblems(CONTEXT_KEY_TABLE.memberRoleName, roleName).map((p) => `${what}: ${p}`);
}
