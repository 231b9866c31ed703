import { parseChallenge } from '../../scanner/registry/challenge';
import { canonicalRegistry } from '../../scanner/oci/reference';
import { isLoopback, RegistryEndpoints } from '../../scanner/registry/endpoint';
import { parseRetryAfter } from '../../scanner/registry/http';

describe('WWW-Authenticate parsing', () => {
  test('Bearer with quoted params', () => {
    expect(
      parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
    });
  });
  test('Basic and unquoted values', () => {
    expect(parseChallenge('Basic realm=registry')).toEqual({ scheme: 'basic', params: { realm: 'registry' } });
    expect(parseChallenge(null)).toBeUndefined();
  });
});

describe('endpoints: plain HTTP only for loopback and --insecure-registry', () => {
  const endpoints = new RegistryEndpoints(['10.0.0.5:5000', 'internal.example']);
  test.each([
    ['docker.io', 'https://registry-1.docker.io/'],
    ['public.ecr.aws', 'https://public.ecr.aws/'],
    ['localhost:5000', 'http://localhost:5000/'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000/'],
    ['[::1]:5000', 'http://[::1]:5000/'],
    ['10.0.0.5:5000', 'http://10.0.0.5:5000/'],
    ['10.0.0.5:6000', 'https://10.0.0.5:6000/'],
    ['internal.example:443', 'http://internal.example:443/'],
    ['localhost.example.com', 'https://localhost.example.com/'],
    ['127.0.0.1.nip.io', 'https://127.0.0.1.nip.io/'],
  ])('%s -> %s', (registry, url) => {
    expect(endpoints.baseUrl(registry).toString()).toBe(url);
  });
  test('redirect targets', () => {
    expect(endpoints.allowsUrl(new URL('http://evil.example/x'))).toBe(false);
    expect(endpoints.allowsUrl(new URL('https://evil.example/x'))).toBe(true);
    expect(isLoopback('127.1.2.3:80')).toBe(true);
  });
});

test('Retry-After in seconds or as an HTTP date', () => {
  expect(parseRetryAfter('3')).toBe(3000);
  expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
  expect(parseRetryAfter('soon')).toBeUndefined();
  expect(parseRetryAfter(null)).toBeUndefined();
});

test('config.json keys reduce to host[:port], Docker Hub aliases to docker.io', () => {
  expect(canonicalRegistry('https://registry-1.docker.io/v2/')).toBe('docker.io');
  expect(canonicalRegistry('https://index.docker.io/v1/')).toBe('docker.io');
  expect(canonicalRegistry('http://LOCALHOST:5000')).toBe('localhost:5000');
});
