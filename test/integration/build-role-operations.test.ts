/**
 * The contract between the scanner and the stack's build role: run a scan against the
 * ECR emulator, collect every ECR operation it saw, and require the synthesized build
 * role to grant each one. A new ECR call added to the scanner without its IAM action
 * in scanner/ecr/operations.ts fails here, before it fails a real run with AccessDenied.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { EcrEmulator, startEcrEmulator } from '../../emulator/ecr/emulator';
import { sampleContent } from '../support/emulator-content';
import { scanOnce } from '../support/scan-harness';
import { logicalIdOf, roleStatements, synth } from '../cdk/synth';

let ecr: EcrEmulator;
beforeAll(async () => {
  ecr = await startEcrEmulator({ repositories: sampleContent(), pageSize: { DescribeRepositories: 2, ListImages: 2 } });
});
afterAll(async () => {
  await ecr.stop();
});

/**
 * The ECR actions the build role is allowed on this account's repositories, and the registry-level
 * ones (no resource type: IAM grants them on "*") it is allowed anywhere.
 */
function grantedEcrActions(template: Template): Set<string> {
  const role = logicalIdOf(template, 'AWS::IAM::Role', 'ScanRole');
  const onRepositories = (r: string) => r.includes(':ecr:${AWS::Region}:${AWS::AccountId}:repository/');
  return new Set(
    roleStatements(template, role)
      .filter((s) => s.Effect === 'Allow' && s.Resource.some((r) => onRepositories(r) || r === '*'))
      .flatMap((s) => s.Action)
      .filter((a) => a.startsWith('ecr:')),
  );
}

test('every ECR operation a scan makes is granted to the build role', async () => {
  // A source on a closed loopback port: it errors, and the scan still inventories ECR in full.
  const run = await scanOnce({ input: '127.0.0.1:9/team/app:1.0\n', ecrEndpoint: ecr.endpoint });
  const seen = [...new Set(ecr.log.map((call) => `ecr:${call.operation}`))].sort();
  expect(seen.length).toBeGreaterThan(0);
  expect(run.report?.summary.sources).toBe(1);
  const granted = grantedEcrActions(synth().template);
  expect(seen.filter((action) => !granted.has(action))).toEqual([]);
  // And nothing more: the scan used every ECR action the role holds (the target's two settings reads among them).
  expect([...granted].sort()).toEqual(seen);
  expect(seen).toEqual(expect.arrayContaining(['ecr:DescribePullThroughCacheRules', 'ecr:GetAccountSetting']));
});

test('the comparison fails for an operation the role does not grant (the scanner writes nothing to ECR)', () => {
  const granted = grantedEcrActions(synth().template);
  expect(granted.size).toBeGreaterThan(0);
  const writes = ['ecr:PutImage', 'ecr:BatchDeleteImage', 'ecr:UpdateImageStorageClass'];
  expect(writes.filter((action) => !granted.has(action))).toEqual(writes);
});
