import { formatReference, parseReference, InvalidReferenceError } from '../../scanner/oci/reference';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseReference normalises as Docker does', () => {
  test.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['bitnami/redis:7.2', 'docker.io/bitnami/redis:7.2'],
    ['localhost/foo', 'localhost/foo:latest'],
    ['localhost:5000/foo/bar:v1', 'localhost:5000/foo/bar:v1'],
    ['127.0.0.1:5000/a', '127.0.0.1:5000/a:latest'],
    ['[::1]:5000/a:t', '[::1]:5000/a:t'],
    ['public.ecr.aws/amazonlinux/amazonlinux:2018.03', 'public.ecr.aws/amazonlinux/amazonlinux:2018.03'],
    ['quay.io/prometheus/node-exporter:v1.8.0', 'quay.io/prometheus/node-exporter:v1.8.0'],
    ['ghcr.io/o/a__b.c-d:x', 'ghcr.io/o/a__b.c-d:x'],
    ['Registry.Example.com/a', 'Registry.Example.com/a:latest'],
    [`nginx@${D}`, `docker.io/library/nginx@${D}`],
    [`nginx:1.25@${D}`, `docker.io/library/nginx:1.25@${D}`],
    [`example.com:443/x@sha512:${'b'.repeat(128)}`, `example.com:443/x@sha512:${'b'.repeat(128)}`],
  ])('%s -> %s', (input, expected) => {
    expect(formatReference(parseReference(input))).toBe(expected);
  });

  test('digest decides when tag and digest are both given', () => {
    const ref = parseReference(`nginx:1.25@${D}`);
    expect(ref).toEqual({ registry: 'docker.io', repository: 'library/nginx', tag: '1.25', digest: D });
  });

  test('a port is not taken for a tag', () => {
    expect(parseReference('localhost:5000/foo')).toEqual({ registry: 'localhost:5000', repository: 'foo', tag: 'latest' });
  });
});

describe('parseReference rejects what Docker rejects, with a reason', () => {
  test.each([
    ['', /empty/],
    ['Nginx', /must be lowercase/],
    ['docker.io/Library/nginx', /must be lowercase/],
    ['nginx :latest', /whitespace/],
    ['ngi nx', /whitespace/],
    ['nginx:', /invalid tag/],
    ['nginx:-bad', /invalid tag/],
    [`nginx:${'t'.repeat(129)}`, /invalid tag/],
    ['nginx@sha256:abc', /invalid digest/],
    [`nginx@sha256:${'a'.repeat(63)}`, /64 hex/],
    [`nginx@sha256:${'a'.repeat(65)}`, /64 hex/],
    [`nginx@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    [`nginx@sha256:${'A'.repeat(64)}`, /lowercase hex/],
    ['a'.repeat(64), /image ID/],
    ['foo//bar', /invalid repository/],
    ['foo/bar/', /invalid repository/],
    ['-foo', /invalid repository/],
    ['foo_-bar', /invalid repository/],
    ['exa mple.com/x', /whitespace/],
    ['bad_host.com/x', /invalid registry host/],
    ['example.com:port/x', /./],
    [`example.com/${'a'.repeat(260)}`, /longer than 255/],
    [':tag', /missing repository/],
  ])('%j', (input, reason) => {
    expect(() => parseReference(input)).toThrow(InvalidReferenceError);
    expect(() => parseReference(input)).toThrow(reason);
  });
});
