/**
 * Target repository names in ECR. Since 2026-02 ECR takes the OCI grammar
 * (scanner/oci/ecr-repository-name.ts: Docker's `__` and `--` separators carry
 * over), but 2 to 256 characters, so one-letter names do not. We never rename
 * silently: a source whose name ECR would refuse stays in the plan, marked
 * invalidTarget, and is not copied.
 */
import { FatalError } from '../errors/fatal-error';
import { ECR_NAME_MAX, ECR_NAME_MIN, ECR_NAME_PATTERN as ECR_NAME_RE } from '../oci/ecr-repository-name';
import { ImageReference } from '../oci/reference';

export class TargetPrefixError extends FatalError {}

/** Why ECR would refuse this repository name; undefined when it is valid. */
export function ecrNameProblem(name: string): string | undefined {
  if (name.length < ECR_NAME_MIN) return `"${name}" is shorter than ECR's minimum of ${ECR_NAME_MIN} characters`;
  if (name.length > ECR_NAME_MAX) return `the name is ${name.length} characters long, over ECR's maximum of ${ECR_NAME_MAX}`;
  if (!ECR_NAME_RE.test(name)) {
    return `"${name}" is not a valid ECR repository name: ECR allows lowercase letters and digits with one '.', one or two '_', or any number of '-' between them, in '/'-separated parts`;
  }
  return undefined;
}

/** Checks `--target-prefix`; returns it without a trailing '/' ('' for none). */
export function normalizeTargetPrefix(prefix: string): string {
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (trimmed === '') return '';
  // The prefix is followed by '/' and at least one character, so it may take 254 of ECR's 256.
  if (trimmed.length > ECR_NAME_MAX - 2 || !ECR_NAME_RE.test(trimmed)) {
    throw new TargetPrefixError(
      `--target-prefix "${prefix}" is not a valid ECR repository name prefix: lowercase letters and digits ` +
        `with one '.', one or two '_', or '-'s between them, '/' between parts, at most ${ECR_NAME_MAX - 2} characters`,
    );
  }
  return trimmed;
}

/**
 * `repository:tag` of every target the plan may copy to, known from the sources before any ECR call,
 * so the inventory remembers which image ECR holds under each (a copy must never move a tag).
 */
export function planTargetTags(
  sources: ReadonlyArray<{ reference: Pick<ImageReference, 'repository' | 'tag'> }>,
  prefix: string,
): Set<string> {
  const wanted = new Set<string>();
  for (const { reference } of sources)
    if (reference.tag !== undefined) wanted.add(`${targetRepositoryFor(reference, prefix)}:${reference.tag}`);
  return wanted;
}

/** The target of a source: its repository path (`library/nginx`, `org/app`) after `prefix/`. */
export function targetRepositoryFor(source: Pick<ImageReference, 'repository'>, prefix: string): string {
  return prefix === '' ? source.repository : `${prefix}/${source.repository}`;
}

/** `registry/path` of a source, without tag or digest: what a copy pins by digest. */
export function sourceRepositoryOf(source: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${source.registry}/${source.repository}`;
}
