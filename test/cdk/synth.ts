/** Synthesizes the stack the way bin/app.ts does, with cdk.json's context plus overrides. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../lib/config';
import { SCAN_SETTINGS_FILE } from '../../lib/scan-settings';
import { parseSettingsFile } from '../../scanner/settings/settings-file';
import { EcrDuplicateScannerStack } from '../../lib/ecr-duplicate-scanner-stack';
import { MemberRoleStack } from '../../lib/member-role-stack';
import { PullTimeExclusionStack } from '../../lib/pull-time-exclusion-stack';
import { ManagementStacks, addScannerStacks } from '../../bin/scanner-app';

export const REPO_ROOT = join(__dirname, '..', '..');

export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
}

/**
 * A bundle directory with the real scan.sh and a placeholder cli.js: the template
 * does not depend on the scanner's code (bundle.test.ts checks the real bundle).
 */
export function placeholderBundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scanner-bundle-'));
  writeFileSync(join(dir, 'cli.js'), '// placeholder\n');
  copyFileSync(join(REPO_ROOT, 'buildspec', 'scan.sh'), join(dir, 'scan.sh'));
  return dir;
}

export interface Synthesized {
  app: App;
  stack: EcrDuplicateScannerStack;
  template: Template;
  /** The management account's stack, with memberOrganizationalUnits. */
  members?: MemberRoleStack;
  /** The management account's own read role and its exclusions in other regions, with memberOrganizationalUnits. */
  management?: ManagementStacks;
  /** With scanRegions: one stack per region other than the scanner stack's, registering the build role there. */
  pullTimeExclusions: readonly PullTimeExclusionStack[];
  /** Cloud assembly directory: templates, assets, validation-report.json. */
  outdir: string;
}

export const CONNECTION_CONTEXT = {
  source: 'connection',
  connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
  repository: 'example-org/image-lists',
  branch: 'release',
} as const;

/**
 * The region the tests synthesize for, as the CDK CLI passes it to bin/app.ts
 * (CDK_DEFAULT_REGION, always set by the CLI): the scanner stack's region.
 */
export const SYNTH_REGION = 'eu-west-1';

export interface SynthOptions {
  /**
   * The scanner stack's region as the CLI would pass it; `null` for none (an app run
   * outside the CLI).
   * @default SYNTH_REGION
   */
  readonly region?: string | null;
  /** The scanner bundle directory. @default a placeholder (placeholderBundleDir) */
  readonly bundleDir?: string;
  /**
   * The app's synth-time validation as bin/app.ts has it: CDK's built-in CloudFormation
   * template validation, plus the plugins this registers (addNagChecks). The synth then
   * fails on an error and writes validation-report.json. Both engines take seconds to
   * load and start in every suite's fresh module registry, so only the suites that read
   * their findings ask for them (nag.test.ts validates every variant).
   * @default no validation plugin, and CDK's built-in template validation off
   */
  readonly checks?: (app: App) => void;
}

/** Builds and synthesizes one app the way bin/app.ts does. */
export function synth(overrides: Record<string, unknown> = {}, options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  mkdirSync(outdir, { recursive: true });
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), ...overrides },
    builtinCloudFormationValidation: options.checks !== undefined,
  });
  const config = readConfig(app.node);
  const region = options.region === undefined ? SYNTH_REGION : (options.region ?? undefined);
  const {
    scanner: stack,
    members,
    management,
    pullTimeExclusions,
  } = addScannerStacks(app, config, options.bundleDir ?? placeholderBundleDir(), {
    region,
  });
  options.checks?.(app);
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir, pullTimeExclusions, ...(members ? { members } : {}), ...(management ? { management } : {}) };
}

type Json = Record<string, any>;

/** Every statement of every IAM policy (identity and bucket policies) in the template, with where it is. */
export function allStatements(template: Template): { where: string; statement: Json }[] {
  const out: { where: string; statement: Json }[] = [];
  for (const [id, r] of Object.entries(template.toJSON().Resources as Record<string, Json>)) {
    const docs: Json[] = [];
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::S3::BucketPolicy') docs.push(r.Properties.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role') {
      docs.push(r.Properties.AssumeRolePolicyDocument);
      for (const p of r.Properties.Policies ?? []) docs.push(p.PolicyDocument);
    }
    if (r.Type === 'AWS::IAM::ManagedPolicy') docs.push(r.Properties.PolicyDocument);
    for (const doc of docs) for (const statement of doc.Statement) out.push({ where: id, statement });
  }
  return out;
}

export function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The one resource of a type whose logical ID starts with `prefix`. */
export function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

/**
 * A CloudFormation value as readable text: `{"Ref": "X"}` -> `${X}`,
 * `{"Fn::GetAtt": ["X", "Arn"]}` -> `${X.Arn}`, `Fn::Join` concatenated.
 */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const v = value as Json;
  if (v && typeof v === 'object') {
    if ('Ref' in v) return `\${${v.Ref}}`;
    if ('Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flat).join(sep);
    }
    if ('Fn::Sub' in v && typeof v['Fn::Sub'] === 'string') return v['Fn::Sub'] as string;
  }
  return JSON.stringify(value);
}

export interface FlatStatement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Json;
}

export function flatStatement(s: Json): FlatStatement {
  return {
    Effect: s.Effect,
    Action: asArray<string>(s.Action).slice().sort(),
    Resource: asArray(s.Resource).map(flat).sort(),
    ...(s.Condition ? { Condition: s.Condition } : {}),
  };
}

/** The statements of every identity policy attached to a role, inline or separate. */
export function roleStatements(template: Template, roleId: string): FlatStatement[] {
  const out: FlatStatement[] = [];
  for (const r of Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Json>)) {
    if ((r.Properties.Roles ?? []).some((ref: Json) => ref.Ref === roleId))
      out.push(...r.Properties.PolicyDocument.Statement.map(flatStatement));
  }
  const role = template.toJSON().Resources[roleId] as Json;
  for (const p of role.Properties.Policies ?? []) out.push(...p.PolicyDocument.Statement.map(flatStatement));
  return out;
}

/** A CodeBuild action's environment variables, tokens shown as `${X}` (see flat). */
export function actionEnvironment(action: Json): { name: string; type: string; value: string }[] {
  const text = action.Configuration?.EnvironmentVariables;
  return text === undefined ? [] : (JSON.parse(flat(text)) as { name: string; type: string; value: string }[]);
}

/** The pipeline's Scan action. */
export function scanAction(template: Template): Json {
  const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline')) as Json[];
  return (pipeline!.Properties.Stages as Json[])[1]!.Actions[0] as Json;
}

/** The settings file as shipped in the Scanner artifact's staged asset (cdk.out), read as scan.sh reads it. */
export function scanSettings(s: Synthesized): Record<string, string> {
  const staged = join(s.outdir, s.stack.scanner.asset.assetPath, SCAN_SETTINGS_FILE);
  return parseSettingsFile(readFileSync(staged, 'utf8'));
}

/** The Scan project's environment variables, tokens shown as `${X}` (see flat). */
export function projectEnvironment(template: Template): Record<string, { type: string; value: string }> {
  const [project] = Object.values(template.findResources('AWS::CodeBuild::Project')) as Json[];
  return Object.fromEntries(
    ((project!.Properties.Environment.EnvironmentVariables ?? []) as Json[]).map((v) => [v.Name, { type: v.Type, value: flat(v.Value) }]),
  );
}
