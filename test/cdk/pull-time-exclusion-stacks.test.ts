/**
 * The build role's pull-time update exclusion in the other scanRegions: the scanner reads
 * its own account's registries there directly with the build role, and the scanner stack
 * (regional) registers the role in its own region only. One small stack per other region,
 * naming the role by the fixed name the scanner stack gives it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { EcrDuplicateScannerStack } from '../../lib/ecr-duplicate-scanner-stack';
import { PullTimeExclusionStack, pullTimeExclusionStackName } from '../../lib/pull-time-exclusion-stack';
import { MAX_ROLE_NAME, buildRoleName } from '../../lib/role-name';
import { REPO_ROOT, SYNTH_REGION, Synthesized, cdkJsonContext, flat, logicalIdOf, placeholderBundleDir, synth } from './synth';
import { MEMBER_STACK_CONTEXT, SCAN_REGIONS_CONTEXT } from './variant-contexts';

type Json = Record<string, any>;

const buildRole = (s: Synthesized): Json => s.template.toJSON().Resources[logicalIdOf(s.template, 'AWS::IAM::Role', 'ScanRole')] as Json;

/** The resources of a stack's template, CDK's own metadata left out. */
function resourcesOf(stack: Stack): Record<string, Json> {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
  return Object.fromEntries(Object.entries(resources).filter(([, r]) => r.Type !== 'AWS::CDK::Metadata'));
}

function exclusionArn(stack: Stack): string {
  const [exclusion] = Object.values(resourcesOf(stack)).filter((r) => r.Type === 'AWS::ECR::PullTimeUpdateExclusion');
  return flat(exclusion!.Properties.PrincipalArn);
}

function deployRegionRule(s: Synthesized): Json | undefined {
  const rules = (s.template.toJSON().Rules ?? {}) as Record<string, Json>;
  return Object.entries(rules).find(([id]) => id.startsWith('DeployRegion'))?.[1];
}

describe("scanRegions with other regions than the stack's: one stack per other region", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(SCAN_REGIONS_CONTEXT);
  });

  test("a stack for each listed region but the scanner stack's own, in that region, named after the scanner stack", () => {
    expect(SCAN_REGIONS_CONTEXT.scanRegions.split(',')).toContain(SYNTH_REGION);
    expect(s.pullTimeExclusions.map((x) => [x.stackName, x.region])).toEqual([
      ['EcrDuplicateScanner-NoPullTime-us-east-1', 'us-east-1'],
      ['EcrDuplicateScanner-NoPullTime-ap-southeast-2', 'ap-southeast-2'],
    ]);
    const assembly = s.app.synth();
    expect(assembly.stacks.map((x) => [x.stackName, x.environment.region]).sort()).toEqual(
      [
        ['EcrDuplicateScanner', 'unknown-region'],
        ['EcrDuplicateScanner-NoPullTime-ap-southeast-2', 'ap-southeast-2'],
        ['EcrDuplicateScanner-NoPullTime-us-east-1', 'us-east-1'],
      ].sort(),
    );
    // The account is the deploying CLI's, as for the scanner stack.
    for (const x of assembly.stacks) expect(x.environment.account).toBe('unknown-account');
  });

  test('each holds one thing: the exclusion of the role named by the ARN the build role gets', () => {
    const name = buildRoleName('EcrDuplicateScanner', SYNTH_REGION);
    expect(name).toBe('EcrDuplicateScanner-ScanBuild-eu-west-1');
    const role = buildRole(s);
    expect(role.Properties.RoleName).toBe(name);
    // No path: the role's ARN is arn:<partition>:iam::<account>:role/<name>, what the exclusions name.
    expect(role.Properties.Path).toBeUndefined();
    for (const stack of s.pullTimeExclusions) {
      expect(Object.values(resourcesOf(stack)).map((r) => r.Type)).toEqual(['AWS::ECR::PullTimeUpdateExclusion']);
      expect(exclusionArn(stack)).toBe(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}`);
    }
    // The scanner stack's own exclusion names the same role, by its attribute.
    const own = s.template.findResources('AWS::ECR::PullTimeUpdateExclusion');
    expect(Object.values(own).map((r: Json) => flat(r.Properties.PrincipalArn))).toEqual([
      `\${${logicalIdOf(s.template, 'AWS::IAM::Role', 'ScanRole')}.Arn}`,
    ]);
  });

  test("the ARN the exclusions name fits ECR's pattern for a principal, in any partition", () => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
      const arn = exclusionArn(s.pullTimeExclusions[0]!)
        .replace('${AWS::Partition}', partition)
        .replace('${AWS::AccountId}', '123456789012');
      expect(arn).toMatch(/^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)\/[\w+=,.@-]+(\/[\w+=,.@-]+)*$/);
      expect(arn.length).toBeLessThanOrEqual(200);
    }
  });

  test('each depends on the scanner stack (deployed after it, destroyed before it), and nothing depends on them', () => {
    const assembly = s.app.synth();
    for (const stack of s.pullTimeExclusions) {
      expect(stack.dependencies).toEqual([s.stack]);
      expect(assembly.getStackByName(stack.stackName).dependencies.map((d) => d.id)).toContain(s.stack.artifactId);
    }
    expect(s.stack.dependencies).toEqual([]);
  });

  test('the scanner stack refuses, by a template rule, any region but the one it was synthesized for', () => {
    expect(deployRegionRule(s)!.Assertions).toEqual([
      {
        Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, SYNTH_REGION] },
        AssertDescription: expect.stringContaining('EcrDuplicateScanner-ScanBuild-eu-west-1'),
      },
    ]);
  });
});

describe('which regions get a stack', () => {
  test('no scanRegions: no other stack, the role unnamed, no region rule, and the region need not be known', () => {
    for (const region of [SYNTH_REGION, null]) {
      const s = synth({}, { region });
      expect(s.pullTimeExclusions).toEqual([]);
      expect(buildRole(s).Properties.RoleName).toBeUndefined();
      expect(deployRegionRule(s)).toBeUndefined();
      expect(s.app.synth().stacks.map((x) => x.stackName)).toEqual(['EcrDuplicateScanner']);
    }
  });

  test("scanRegions naming only the stack's region: no other stack and the role unnamed, but the rule holds the region", () => {
    const s = synth({ scanRegions: SYNTH_REGION });
    expect(s.pullTimeExclusions).toEqual([]);
    expect(buildRole(s).Properties.RoleName).toBeUndefined();
    expect(deployRegionRule(s)!.Assertions[0].Assert).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, SYNTH_REGION] });
  });

  test("scanRegions without the stack's region: a stack for every listed region", () => {
    const s = synth({ scanRegions: 'us-east-1,ap-southeast-2' });
    expect(s.pullTimeExclusions.map((x) => x.region)).toEqual(['us-east-1', 'ap-southeast-2']);
  });

  test('the stack region decides: synthesized for us-east-1, the role is named for it and eu-west-1 gets the stack', () => {
    const s = synth(SCAN_REGIONS_CONTEXT, { region: 'us-east-1' });
    expect(s.pullTimeExclusions.map((x) => x.stackName)).toEqual([
      'EcrDuplicateScanner-NoPullTime-eu-west-1',
      'EcrDuplicateScanner-NoPullTime-ap-southeast-2',
    ]);
    expect(buildRole(s).Properties.RoleName).toBe('EcrDuplicateScanner-ScanBuild-us-east-1');
    for (const stack of s.pullTimeExclusions) expect(exclusionArn(stack)).toMatch(/:role\/EcrDuplicateScanner-ScanBuild-us-east-1$/);
  });

  test('the stack name decides the names', () => {
    const s = synth({ ...SCAN_REGIONS_CONTEXT, stackName: 'TeamScanner' });
    expect(s.pullTimeExclusions.map((x) => x.stackName)).toEqual([
      'TeamScanner-NoPullTime-us-east-1',
      'TeamScanner-NoPullTime-ap-southeast-2',
    ]);
    expect(buildRole(s).Properties.RoleName).toBe('TeamScanner-ScanBuild-eu-west-1');
  });

  test("beside the member stack: the management account synthesizes them too; the member stack depends on the management account's own stacks only", () => {
    const s = synth(MEMBER_STACK_CONTEXT);
    expect(s.members).toBeDefined();
    expect(s.pullTimeExclusions.map((x) => x.region)).toEqual(['us-east-1']);
    expect(s.members!.dependencies.map((d) => d.stackName)).toEqual([
      'EcrDuplicateScanner-ManagementReadRole',
      'EcrDuplicateScanner-Management-us-east-1',
    ]);
  });
});

describe("the scanner stack's region must be known with scanRegions", () => {
  test('unknown (an app run outside the CDK CLI): a message that says what to do', () => {
    for (const region of [null, '']) {
      expect(() => synth(SCAN_REGIONS_CONTEXT, { region })).toThrow(
        /^scanRegions needs the region the scanner stack is deployed to[^\n]*:\n {2}- CDK_DEFAULT_REGION is not set: run the app through the CDK CLI/,
      );
    }
  });

  test('not a region name: refused by name', () => {
    expect(() => synth(SCAN_REGIONS_CONTEXT, { region: 'moon-base' })).toThrow(
      /CDK_DEFAULT_REGION: expected a region name such as eu-west-1, got "moon-base"/,
    );
  });

  test('bin/app.ts takes the region from CDK_DEFAULT_REGION, and a bad one stops the synth with the message alone', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_DEFAULT_REGION: 'moon-base',
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cdk-out-')),
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...SCAN_REGIONS_CONTEXT }),
      },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('CDK_DEFAULT_REGION: expected a region name such as eu-west-1, got "moon-base"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('names within the limits', () => {
  const LONG = 'S'.repeat(100); // the longest stackName the app accepts

  test("the role's name: within IAM's 64 characters, the region kept, the same on every synth", () => {
    for (const region of ['eu-west-1', 'ap-southeast-2', 'us-gov-west-1']) {
      const name = buildRoleName(LONG, region);
      expect(name.length).toBeLessThanOrEqual(MAX_ROLE_NAME);
      expect(name).toMatch(new RegExp(`^S+-[0-9a-f]{8}-ScanBuild-${region}$`));
      expect(buildRoleName(LONG, region)).toBe(name);
    }
    // Two long names that share their beginning still get two roles.
    expect(buildRoleName(`${'S'.repeat(99)}T`, 'eu-west-1')).not.toBe(buildRoleName(LONG, 'eu-west-1'));
    // The longest name that fits is kept whole.
    const fits = 'S'.repeat(MAX_ROLE_NAME - '-ScanBuild-eu-west-1'.length);
    expect(buildRoleName(fits, 'eu-west-1')).toBe(`${fits}-ScanBuild-eu-west-1`);
    expect(buildRoleName(`${fits}S`, 'eu-west-1')).toMatch(/^S+-[0-9a-f]{8}-ScanBuild-eu-west-1$/);
    // A region longer than any AWS has still gives a name IAM takes.
    expect(buildRoleName(LONG, `us-${'x'.repeat(60)}-1`).length).toBeLessThanOrEqual(MAX_ROLE_NAME);
  });

  test("the longest stack name: the role and the stacks synthesize within IAM's and CloudFormation's limits", () => {
    const s = synth({ stackName: LONG, scanRegions: 'eu-west-1,ap-southeast-2' });
    const name = buildRole(s).Properties.RoleName as string;
    expect(name.length).toBeLessThanOrEqual(MAX_ROLE_NAME);
    const [stack] = s.pullTimeExclusions;
    expect(stack!.stackName).toBe(pullTimeExclusionStackName(LONG, 'ap-southeast-2'));
    expect(stack!.stackName.length).toBeLessThanOrEqual(128);
    expect(exclusionArn(stack!)).toBe(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}`);
  });
});

describe('the constructs refuse what would not deploy', () => {
  const bundleDir = placeholderBundleDir();

  test('PullTimeExclusionStack: an explicit region, and a role name IAM takes', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    new PullTimeExclusionStack(app, 'NoRegion', { roleName: 'scanner' });
    new PullTimeExclusionStack(app, 'BadName', { env: { region: 'us-east-1' }, roleName: `${'r'.repeat(64)}/x` });
    expect(() => app.synth()).toThrow(/needs an explicit env.region/);
    const other = new App({ builtinCloudFormationValidation: false });
    new PullTimeExclusionStack(other, 'BadName', { env: { region: 'us-east-1' }, roleName: `${'r'.repeat(64)}/x` });
    expect(() => other.synth()).toThrow(
      /roleName: at most 64 characters \(IAM's limit on a role name\), got 66[\s\S]*expected an IAM role name/,
    );
  });

  test("the scanner stack: buildRoleName within IAM's rules, deployRegion a region name", () => {
    const named =
      (props: { buildRoleName?: string; deployRegion?: string }): (() => void) =>
      () => {
        const app = new App({ builtinCloudFormationValidation: false });
        new EcrDuplicateScannerStack(app, 'Scanner', { scannerBundleDir: bundleDir, ...props });
        app.synth();
      };
    expect(named({ buildRoleName: 'x'.repeat(65) })).toThrow(/Invalid roleName[\s\S]*Length must be between 1 and 64 characters/);
    expect(named({ deployRegion: 'Ireland' })).toThrow(/EcrDuplicateScannerStack: deployRegion: expected a region name known at synth/);
    expect(named({ buildRoleName: 'team-scanner-build', deployRegion: 'eu-west-1' })).not.toThrow();
  });

  test('naming the build role changes nothing else in the scanner stack', () => {
    const resources = (buildRoleName?: string): Record<string, Json> => {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new EcrDuplicateScannerStack(app, 'Scanner', {
        scannerBundleDir: bundleDir,
        scanRegions: ['eu-west-1', 'us-east-1'],
        ...(buildRoleName !== undefined ? { buildRoleName } : {}),
      });
      return Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
    };
    const named = resources('Scanner-ScanBuild-eu-west-1');
    const unnamed = resources();
    const id = Object.keys(named).find((k) => k.startsWith('ScanRole'))!;
    const { RoleName, ...rest } = named[id]!.Properties as Json;
    expect(RoleName).toBe('Scanner-ScanBuild-eu-west-1');
    expect({ ...named, [id]: { ...named[id], Properties: rest } }).toEqual(unnamed);
  });
});
