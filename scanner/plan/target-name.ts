/**
 * Target repository names in ECR. ECR's grammar is stricter than Docker's:
 * CreateRepository takes `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`,
 * 2 to 256 characters, so Docker's `__` and `--` separators and one-letter
 * names do not carry over. We never rename silently: a source whose name
 * ECR would refuse stays in the plan, marked invalidTarget, and is not copied.
 */
import { FatalError } from '../errors/fatal-error';

const COMPONENT = '[a-z0-9]+(?:[._-][a-z0-9]+)*';
const ECR_NAME_RE = new RegExp(`^(?:${COMPONENT}/)*${COMPONENT}$`);
export const ECR_NAME_MIN = 2;
export const ECR_NAME_MAX = 256;

export class TargetPrefixError extends FatalError {}

/** Why ECR would refuse this repository name; undefined when it is valid. */
export function ecrNameProblem(name: string): string | undefined {
  if (name.length < ECR_NAME_MIN) return `"${name}" is shorter than ECR's minimum of ${ECR_NAME_MIN} characters`;
  if (name.length > ECR_NAME_MAX) return `the name is ${name.length} characters long, over ECR's maximum of ${ECR_NAME_MAX}`;
  if (!ECR_NAME_RE.test(name)) {
    return `"${name}" is not a valid ECR repository name: ECR allows lowercase letters and digits with one '.', '_' or '-' between them, in '/'-separated parts`;
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
        `with one '.', '_' or '-' between them, '/' between parts, at most ${ECR_NAME_MAX - 2} characters`,
    );
  }
  return trimmed;
}

/** The target of a source repository path (`library/nginx`, `org/app`): the path itself after `prefix/`. */
export function targetRepositoryFor(sourcePath: string, prefix: string): string {
  return prefix === '' ? sourcePath : `${prefix}/${sourcePath}`;
}

/**
 * `registry/path` of a canonical reference, without tag or digest. Plain
 * string work, no validation, so it gives an answer for whatever plan.json
 * holds; the callers quote it.
 */
export function sourceRepositoryOf(reference: string): string {
  const at = reference.indexOf('@');
  const name = at === -1 ? reference : reference.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}
