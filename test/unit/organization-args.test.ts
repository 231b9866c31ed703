/** The organization options of the command line: what they ask for, and every mistake a usage error. */
import { parseCliArgs, UsageError } from '../../scanner/cli-args';
import { classifyRegistryError, registryFailure } from '../../scanner/scope/registry-fault';
import { AssumeRoleError } from '../../scanner/scope/assumed-role';
import { EcrInventoryError } from '../../scanner/ecr/inventory';

const env = { AWS_REGION: 'eu-central-1' };

describe('organization options', () => {
  test('none of them: no organization, the scan is the single-registry one', () => {
    expect(parseCliArgs([], env).scope).toBeUndefined();
  });

  test('--organization with two regions, the default role', () => {
    expect(parseCliArgs(['--organization', '--region', 'us-east-1', '--region', 'eu-west-1', '--region', 'us-east-1'], env).scope).toEqual({
      regions: ['us-east-1', 'eu-west-1'],
      accounts: 'organization',
      roleName: 'ecr-duplicate-scanner-read',
    });
  });

  test('--account without --region takes the SDK region; --role-name and --target-registry are kept', () => {
    expect(
      parseCliArgs(
        ['--account', '222222222222', '--role-name', 'reader', '--target-registry', '222222222222.dkr.ecr.eu-west-1.amazonaws.com'],
        env,
      ).scope,
    ).toEqual({
      regions: ['eu-central-1'],
      accounts: ['222222222222'],
      roleName: 'reader',
      targetRegistry: '222222222222.dkr.ecr.eu-west-1.amazonaws.com',
    });
  });

  test.each([
    [['--account', '12345'], /--account expects a 12-digit account ID/],
    [['--region', 'Europe'], /--region expects a region name/],
    [['--organization', '--account', '222222222222'], /exclude each other/],
    [['--organization', '--role-name', 'no spaces'], /--role-name expects an IAM role name/],
    [['--organization', '--target-registry', 'example.com'], /--target-registry expects/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCliArgs(argv, env)).toThrow(UsageError);
    expect(() => parseCliArgs(argv, env)).toThrow(message);
  });

  test('--assume-role-advice is kept as given; alone, too long or over several lines it is a usage error', () => {
    const advice = 'deploy A in the management account, then re-run: aws codepipeline start-pipeline-execution --name A';
    expect(parseCliArgs(['--organization', '--assume-role-advice', advice], env).scope?.assumeRoleAdvice).toBe(advice);
    expect(() => parseCliArgs(['--assume-role-advice', advice], env)).toThrow(/only meaningful with --account or --organization/);
    expect(() => parseCliArgs(['--organization', '--assume-role-advice', 'a\nb'], env)).toThrow(/one line of at most 500/);
    expect(() => parseCliArgs(['--organization', '--assume-role-advice', 'a'.repeat(501)], env)).toThrow(UsageError);
    expect(parseCliArgs(['--organization', '--assume-role-advice', 'a'.repeat(500)], env).scope?.assumeRoleAdvice).toHaveLength(500);
  });

  test('without any region to use, --organization asks for --region', () => {
    expect(() => parseCliArgs(['--organization'], {})).toThrow(/--region is needed/);
  });
});

describe('registry faults', () => {
  const named = (name: string) => Object.assign(new Error('x'), { name });
  test.each([
    [new EcrInventoryError('wrapped', { cause: new AssumeRoleError('arn:aws:iam::1:role/r', named('AccessDenied')) }), 'assume-role'],
    [new EcrInventoryError('wrapped', { cause: named('UnrecognizedClientException') }), 'region-not-enabled'],
    [new EcrInventoryError('wrapped', { cause: named('AccessDeniedException') }), 'denied'],
    [new EcrInventoryError('wrapped', { cause: named('ThrottlingException') }), 'rate-limited'],
    [new EcrInventoryError('wrapped', { cause: named('ExpiredTokenException') }), 'credentials'],
    [new EcrInventoryError('wrapped', { cause: named('ServerException') }), 'failed'],
  ])('%s is %s (in a scope decided with STS)', (err, kind) => {
    expect(classifyRegistryError(err, { credentialsProven: true })).toBe(kind);
  });

  test('in a scope decided without STS, UnrecognizedClientException may be the key: credentials, and the words name both', () => {
    const err = new EcrInventoryError('wrapped', { cause: named('UnrecognizedClientException') });
    expect(classifyRegistryError(err)).toBe('credentials');
    expect(registryFailure({ region: 'eu-west-1' }, err).error).toBe('eu-west-1: wrapped');
  });

  test('a role that cannot be assumed: the management account is named as such, and the advice follows', () => {
    const denied = new EcrInventoryError('wrapped', {
      cause: new AssumeRoleError('arn:aws:iam::111111111111:role/r', named('AccessDenied')),
    });
    const help = { managementAccountId: '111111111111', advice: 'deploy M, then re-run' };
    expect(registryFailure({ accountId: '111111111111', region: 'eu-west-1' }, denied, help).error).toMatch(
      /^111111111111\/eu-west-1: wrapped \(111111111111 is the organization's management account, where service-managed StackSets never deploy: its read role comes from a stack of its own there\); to read it: deploy M, then re-run$/,
    );
    expect(registryFailure({ accountId: '222222222222', region: 'eu-west-1' }, denied, help).error).toBe(
      '222222222222/eu-west-1: wrapped; to read it: deploy M, then re-run',
    );
    expect(registryFailure({ accountId: '222222222222', region: 'eu-west-1' }, denied).error).toBe('222222222222/eu-west-1: wrapped');
    // Other kinds of fault get neither.
    const throttled = new EcrInventoryError('slow', { cause: named('ThrottlingException') });
    expect(registryFailure({ accountId: '111111111111', region: 'eu-west-1' }, throttled, help).error).toBe('111111111111/eu-west-1: slow');
  });

  test('the failure names its registry', () => {
    const failure = registryFailure(
      { accountId: '222222222222', region: 'eu-west-1' },
      named('UnrecognizedClientException'),
      {},
      {
        credentialsProven: true,
      },
    );
    expect(failure.error).toMatch(
      /^222222222222\/eu-west-1: .* \(the account has not enabled eu-west-1 \(AWS accepted the same credentials elsewhere/,
    );
  });
});
