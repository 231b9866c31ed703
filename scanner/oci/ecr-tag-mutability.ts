/**
 * ECR's tag mutability rule (2025: exclusion filters): whether a push may move a tag that
 * already points at another image. One definition for the plan and the emulator.
 */

export type EcrTagMutabilitySetting = 'MUTABLE' | 'IMMUTABLE' | 'MUTABLE_WITH_EXCLUSION' | 'IMMUTABLE_WITH_EXCLUSION';

export const ECR_TAG_MUTABILITY_SETTINGS: readonly EcrTagMutabilitySetting[] = [
  'MUTABLE',
  'IMMUTABLE',
  'MUTABLE_WITH_EXCLUSION',
  'IMMUTABLE_WITH_EXCLUSION',
];

/** A repository's setting as DescribeRepositories gives it. */
export interface EcrTagMutability {
  mutability: EcrTagMutabilitySetting;
  /** `imageTagMutabilityExclusionFilters` (type WILDCARD: `*` any run of characters): tags excepted from the rule. */
  exclusionFilters: string[];
}

function wildcardMatches(pattern: string, text: string): boolean {
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`).test(text);
}

/** True when ECR refuses to move `tag` to another image in a repository with this setting. */
export function isTagImmutable(setting: EcrTagMutability, tag: string): boolean {
  const excluded = setting.exclusionFilters.some((filter) => wildcardMatches(filter, tag));
  switch (setting.mutability) {
    case 'MUTABLE':
      return false;
    case 'IMMUTABLE':
      return true;
    case 'MUTABLE_WITH_EXCLUSION':
      return excluded;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !excluded;
  }
}
