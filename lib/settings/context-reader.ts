/**
 * Reads CDK context (cdk.json, then `-c key=value`) by the key table (keys.ts): each value
 * parsed by its key's kind, its default applied, its rules checked; every problem is
 * collected, so that one synth names every bad value.
 */
import { enumProblem, integerProblem, listProblems, textProblems } from './key-checks';
import { CONTEXT_KEY_TABLE, ContextKey } from './keys';
import { unknownKeyProblems } from './unknown-keys';

export class ConfigError extends Error {
  /** `heading`: what the problems are about and where they are fixed. */
  constructor(
    readonly problems: readonly string[],
    heading = 'invalid context (fix with -c key=value or in cdk.json)',
  ) {
    super(`${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** What a construct node offers; an App's `node` fits, and so does a plain map in tests. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
  /** Every key set; when offered, keys that are not ours are refused. */
  getAllContext?(): Record<string, unknown>;
}

type Table = typeof CONTEXT_KEY_TABLE;
type KeyOfKind<Kind> = { [K in ContextKey]: Table[K] extends { readonly kind: Kind } ? K : never }[ContextKey];
export type TextKeyName = KeyOfKind<'text'>;
export type EnumKeyName = KeyOfKind<'enum'>;
export type IntegerKeyName = KeyOfKind<'integer'>;
export type ListKeyName = KeyOfKind<'list'>;
type Default<K extends ContextKey> = Table[K] extends { readonly default: infer D } ? D : undefined;

export class ContextReader {
  readonly problems: string[] = [];
  constructor(private readonly context: ContextSource) {
    if (context.getAllContext) this.problems.push(...unknownKeyProblems(Object.keys(context.getAllContext())));
  }

  /** The key's text as given, trimmed; undefined when absent or empty (then the default applies). */
  raw(key: ContextKey): string | undefined {
    const value = this.context.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object') {
      this.problems.push(`${key}: expected a single value, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const text = String(value).trim();
    return text === '' ? undefined : text;
  }

  /** Problems of `key`, each named by it. */
  report(key: string, problems: readonly string[]): void {
    for (const p of problems) this.problems.push(`${key}: ${p}`);
  }

  /** A text key's value (its default when absent), normalized and checked. */
  text<K extends TextKeyName>(key: K): string | Default<K> {
    const spec = CONTEXT_KEY_TABLE[key] as Table[TextKeyName];
    const given = this.raw(key) ?? ('default' in spec ? spec.default : undefined);
    if (given === undefined) return undefined as Default<K>;
    const value = 'normalize' in spec ? spec.normalize(given) : given;
    this.report(key, textProblems(spec, value));
    return value;
  }

  /** An enum key's value in lower case, checked. */
  choice(key: EnumKeyName): string {
    const spec = CONTEXT_KEY_TABLE[key];
    const value = (this.raw(key) ?? spec.default).toLowerCase();
    const problem = enumProblem(spec, value);
    if (problem !== undefined) this.report(key, [problem]);
    return value;
  }

  integer<K extends IntegerKeyName>(key: K): number | Default<K> {
    const spec = CONTEXT_KEY_TABLE[key] as Table[IntegerKeyName];
    const text = this.raw(key) ?? ('default' in spec ? String(spec.default) : undefined);
    if (text === undefined) return undefined as Default<K>;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    const problem = integerProblem(spec, n, `"${text}"`);
    if (problem !== undefined) this.report(key, [problem]);
    return n;
  }

  /** A list: from -c it arrives as "a,b"; cdk.json may hold a JSON array. Unchecked. */
  rawList(key: ListKeyName): string[] | undefined {
    const value = this.context.tryGetContext(key);
    if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter((v) => v !== '');
    return this.raw(key)
      ?.split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }

  /** A list key's items, checked; given but empty (`-c key=,`) is a problem too. */
  list(key: ListKeyName): string[] | undefined {
    const spec = CONTEXT_KEY_TABLE[key];
    const values = this.rawList(key);
    if (values === undefined) return undefined;
    this.report(key, listProblems(spec, values));
    if (values.length === 0) this.report(key, [`expected at least one ${spec.item.items}`]);
    return values;
  }
}
