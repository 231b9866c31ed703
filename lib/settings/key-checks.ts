/**
 * A key's value checked against its entry in the table (keys.ts): the same words for a
 * `-c` value and for a prop of the scanner stack. Each problem is returned without the key
 * (the caller names the key or the prop); it ends with the value it got.
 */
import { Token } from 'aws-cdk-lib';
import { EnumKey, IntegerKey, ListKey, TextKey } from './keys';

/** `a, b or c`. */
export function alternatives(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** A length limit is named with the limit; the value itself is not repeated (it may be long). */
export function textProblems(spec: TextKey, value: string): string[] {
  const problems: string[] = [];
  if (spec.maxLength && value.length > spec.maxLength.max)
    problems.push(`at most ${spec.maxLength.max} characters (${spec.maxLength.why}), got ${value.length}`);
  for (const rule of spec.rules) {
    const expected = rule(value);
    if (expected !== undefined) problems.push(`${expected}, got "${value}"`);
  }
  return problems;
}

/**
 * A text value known at synth, normalized as its key does, by `textProblems`; nothing to
 * check when it is absent or a token (CloudFormation's to resolve).
 */
export function textValueProblems(spec: TextKey, value: string | undefined): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  return textProblems(spec, spec.normalize ? spec.normalize(value) : value);
}

export function enumProblem(spec: EnumKey, value: string): string | undefined {
  return spec.values.includes(value) ? undefined : `expected ${alternatives(spec.values)}, got "${value}"`;
}

/** `shown`: the value as the user wrote it (a `-c` string is quoted, a prop's number is not). */
export function integerProblem(spec: IntegerKey, value: number, shown: string): string | undefined {
  if (Number.isInteger(value) && value >= spec.min && value <= spec.max) return undefined;
  return `expected a whole number from ${spec.min} to ${spec.max}, got ${shown}`;
}

/** Each bad item, an item listed twice, and the service's limit on the length. */
export function listProblems(spec: ListKey, values: readonly string[]): string[] {
  const problems = values.filter((v) => !spec.item.test(v)).map((v) => `expected ${spec.item.items}, got "${v}"`);
  if (spec.maxItems) {
    const twice = values.filter((v, i) => values.indexOf(v) !== i);
    if (twice.length > 0) problems.push(`${[...new Set(twice)].join(', ')} listed more than once`);
    if (values.length > spec.maxItems.max) problems.push(`${spec.maxItems.by} takes at most ${spec.maxItems.max}, got ${values.length}`);
  }
  return problems;
}
