/**
 * ECR's repository-name grammar. Since 2026-02 it is the OCI distribution grammar
 * (`__` and runs of `-` between alphanumerics are allowed), 2 to 256 characters.
 * One definition for the scanner (plan targets, --target-prefix) and the emulator.
 */

/** One '/'-separated part: alphanumerics with one '.', one '_', '__', or a run of '-' between them. */
export const ECR_NAME_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const ECR_NAME_PATTERN = new RegExp(`^(?:${ECR_NAME_COMPONENT}/)*${ECR_NAME_COMPONENT}$`);
export const ECR_NAME_MIN = 2;
export const ECR_NAME_MAX = 256;

export function isEcrRepositoryName(name: string): boolean {
  return name.length >= ECR_NAME_MIN && name.length <= ECR_NAME_MAX && ECR_NAME_PATTERN.test(name);
}
