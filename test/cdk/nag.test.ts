/**
 * cdk-nag's AWS Solutions rules over every variant of the stack. cdk-nag 3 is a CDK
 * policy-validation plugin (not an Aspect writing Annotations): registered as
 * bin/app.ts registers it, it runs during synth, an error fails the synth, and every
 * finding lands in the assembly's validation-report.json.
 */
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addNagChecks } from '../../bin/nag-checks';
import { CONNECTION_CONTEXT, Synthesized, synth } from './synth';
import { COMBINED_CONTEXT, KMS_KEY_ARN, MEMBER_STACK_CONTEXT, SCAN_REGIONS_CONTEXT, SECRET_ARN, VPC_CONTEXT } from './variant-contexts';

type Json = Record<string, any>;

const VARIANTS: [string, Record<string, unknown>][] = [
  ['codecommit', {}],
  ['s3', { source: 's3' }],
  ['connection', { ...CONNECTION_CONTEXT }],
  ['destroy', { outputBucketRemovalPolicy: 'destroy' }],
  ['secret', { registryCredentialsSecret: SECRET_ARN, registryCredentialsKmsKey: KMS_KEY_ARN }],
  ['ec2 in a VPC', { ...VPC_CONTEXT }],
  ['ec2 without a VPC', { compute: 'ec2' }],
  ['schedule', { schedule: 'rate(1 day)' }],
  ['notification', { notificationEmail: 'team@example.com' }],
  ['ECR sources', { ecrSourceAccounts: '111122223333' }],
  ['s3, everything', { source: 's3', ...COMBINED_CONTEXT }],
  ['connection, everything', { ...CONNECTION_CONTEXT, ...COMBINED_CONTEXT }],
  ['organization', { scanAccounts: 'organization', scanRegions: 'eu-west-1,us-east-1' }],
  ['listed accounts', { scanAccounts: '111122223333', memberRoleName: 'scanner-reader' }],
  // Three stacks: the scanner's (its build role named) and the exclusion stacks of the two other regions.
  ['this account in other regions', { ...SCAN_REGIONS_CONTEXT }],
  // Five stacks: the checks below run over the whole app, the management account's stacks included
  // (the StackSets' stack, and the management account's own read role with its exclusion in us-east-1).
  ['member role stack', { ...MEMBER_STACK_CONTEXT }],
];

/** Every acknowledgement in the tree: rule id, reason and where. */
function acknowledgements(root: IConstruct): { id: string; reason: string; path: string }[] {
  const out: { id: string; reason: string; path: string }[] = [];
  for (const c of root.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // Stored as { "<namespace>::<rule id>": reason }.
      for (const [key, reason] of Object.entries(m.data as Record<string, string>))
        out.push({ id: key.replace(/^[^:]+::/, ''), reason, path: c.node.path });
    }
  }
  return out;
}

describe.each(VARIANTS)('%s', (_name, context) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(context, { checks: addNagChecks });
  });

  test('the synth-time validation report has no cdk-nag finding, error or warning', () => {
    const report = JSON.parse(readFileSync(join(s.outdir, 'validation-report.json'), 'utf8')) as Json;
    const findings = (report.pluginReports as Json[]).flatMap((r) =>
      (r.violations ?? []).map((v: Json) => `${r.pluginName ?? r.summary?.pluginName}: ${v.ruleName} (${v.severity})`),
    );
    expect(findings).toEqual([]);
  });

  test('and no annotation from CDK itself: no error, warning or info', () => {
    const management = s.management ? [s.management.readRole, ...s.management.pullTimeExclusions] : [];
    for (const stack of [s.stack, ...(s.members ? [s.members] : []), ...management, ...s.pullTimeExclusions]) {
      const a = Annotations.fromStack(stack);
      expect([
        ...a.findError('*', Match.anyValue()),
        ...a.findWarning('*', Match.anyValue()),
        ...a.findInfo('*', Match.anyValue()),
      ]).toEqual([]);
    }
  });

  test('checked directly: no unacknowledged error or warning', () => {
    const result = new AwsSolutionsChecks(s.app).validateScope(s.app);
    const findings = result.violations.map(
      (v) => `${v.ruleName} ${v.severity}: ${v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(result.success).toBe(true);
  });

  test('the checks do run: without the acknowledgements they report', () => {
    const pack = new AwsSolutionsChecks(s.app);
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    expect(pack.validateScope(s.app).violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-CB4']));
  });

  test('each acknowledgement names one AwsSolutions rule (and finding, for wildcards) and a reason', () => {
    const acks = acknowledgements(s.app).filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      if (a.id.startsWith('AwsSolutions-IAM5')) expect(a.id).toMatch(/\[(Action|Resource)::.+\]$/);
      expect(a.reason.length).toBeGreaterThan(60);
    }
  });
});
