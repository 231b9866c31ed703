/** Context for the stack variants the CDK tests synthesize. */
export const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/creds-AbC123';
export const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
export const VPC_CONTEXT = {
  compute: 'ec2',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  securityGroupIds: 'sg-0123456789abcdef0',
  buildTimeoutMinutes: '90',
};
export const COMBINED_CONTEXT = {
  ...VPC_CONTEXT,
  schedule: 'cron(0 6 ? * MON-FRI *)',
  notificationEmail: 'team@example.com',
  registryCredentialsSecret: SECRET_ARN,
  registryCredentialsKmsKey: KMS_KEY_ARN,
  ecrSourceAccounts: '111122223333,444455556666',
  scanConcurrency: '32',
};
/** The management account's stack beside the scanner's: the member read role and its exclusions in two regions. */
export const MEMBER_STACK_CONTEXT = {
  scanAccounts: 'organization',
  scanRegions: 'eu-west-1,us-east-1',
  memberOrganizationalUnits: 'ou-ab12-cdef3456,r-ab12',
  scannerBuildRoleArn: 'arn:aws:iam::123456789012:role/EcrDuplicateScanner-ScanBuild-eu-west-1',
};
/** This account's registries in three regions, the synth's (eu-west-1) among them: two regional exclusion stacks. */
export const SCAN_REGIONS_CONTEXT = { scanRegions: 'eu-west-1,us-east-1,ap-southeast-2' } as const;
