import { spawnSync } from 'node:child_process';
import { ECR_HOST_BASH_PATTERN, EcrEndpointKind, formatEcrHost, parseEcrHost } from '../../scanner/oci/ecr-host';

const A = '123456789012';

describe('ECR hosts', () => {
  test.each([
    [`${A}.dkr.ecr.eu-west-1.amazonaws.com`, 'eu-west-1', 'standard'],
    [`${A}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`, 'us-gov-west-1', 'fips'],
    [`${A}.dkr.ecr.cn-north-1.amazonaws.com.cn`, 'cn-north-1', 'standard'],
    [`${A}.dkr-ecr.eu-west-1.on.aws`, 'eu-west-1', 'dualstack'],
    [`${A}.dkr-ecr-fips.us-east-1.on.aws`, 'us-east-1', 'dualstack-fips'],
    [`${A}.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn`, 'cn-northwest-1', 'dualstack'],
    [`${A}.DKR.ECR.EU-WEST-1.AMAZONAWS.COM`, 'eu-west-1', 'standard'],
  ])('%s', (host, region, kind) => {
    expect(parseEcrHost(host)).toEqual({ accountId: A, region, kind });
  });

  test.each([
    'public.ecr.aws',
    '12345.dkr.ecr.eu-west-1.amazonaws.com',
    `${A}.dkr.ecr.eu-west-1.amazonaws.com.cn`,
    `${A}.dkr.ecr.cn-north-1.amazonaws.com`,
    `${A}.dkr-ecr.cn-north-1.on.aws`,
    `${A}.dkr-ecr.eu-west-1.on.amazonwebservices.com.cn`,
    `${A}.dkr.ecr.eu-west-1.amazonaws.com:443`,
    `${A}.dkr.ecr.eu-west-1.amazonaws.com.evil.example`,
    'registry.example.com',
  ])('not ECR: %s', (host) => expect(parseEcrHost(host)).toBeUndefined());

  const kinds: EcrEndpointKind[] = ['standard', 'fips', 'dualstack', 'dualstack-fips'];
  test.each(kinds.flatMap((kind) => ['us-east-1', 'cn-north-1'].map((region) => [kind, region] as const)))(
    'format then parse gives the registry back: %s in %s',
    (kind, region) => {
      expect(parseEcrHost(formatEcrHost({ accountId: A, region }, kind))).toEqual({ accountId: A, region, kind });
    },
  );

  test("bash's pattern (copy.sh) finds the region of every form and refuses what is not ECR", () => {
    const script = `[[ "$1" =~ $2 ]] && echo "\${BASH_REMATCH[3]}\${BASH_REMATCH[6]}" || echo no`;
    const regionOf = (host: string): string =>
      spawnSync('bash', ['-c', script, 'bash', host, ECR_HOST_BASH_PATTERN], { encoding: 'utf8' }).stdout.trim();
    for (const kind of kinds) expect(regionOf(formatEcrHost({ accountId: A, region: 'eu-central-2' }, kind))).toBe('eu-central-2');
    expect(regionOf('registry.example.com')).toBe('no');
    expect(regionOf('12345.dkr.ecr.eu-west-1.amazonaws.com')).toBe('no');
  });
});
