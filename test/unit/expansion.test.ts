import { describeSelector, parseExpansion, selectTags, versionOfTag } from '../../scanner/input/expansion';
import { parseInput } from '../support/parse-input';
import { parseReference } from '../../scanner/oci/reference';

const spec = (text: string) => parseExpansion(text);
const tagsOf = (text: string, tags: string[]) => {
  const s = parseExpansion(text);
  if (!s) throw new Error(`${text} is not an expansion`);
  return selectTags(s.tags, tags);
};

describe('expansion lines', () => {
  test('each form is read with its registry, repository or namespace', () => {
    expect(spec('nginx:*')).toMatchObject({
      kind: 'repository',
      registry: 'docker.io',
      repository: 'library/nginx',
      tags: { kind: 'all' },
    });
    expect(spec('localhost:5000/team/app:/^1\\./')).toMatchObject({
      kind: 'repository',
      registry: 'localhost:5000',
      repository: 'team/app',
    });
    expect(spec('harbor.example.com/team/*')).toMatchObject({ kind: 'catalog', registry: 'harbor.example.com', namespace: 'team' });
    expect(spec('harbor.example.com/*')).toMatchObject({ kind: 'catalog', registry: 'harbor.example.com', namespace: '' });
    expect(spec('127.0.0.1:5000/a/b/*:latest(2)')).toMatchObject({
      kind: 'catalog',
      namespace: 'a/b',
      tags: { kind: 'version', latest: 2 },
    });
    // A Docker Hub namespace, as Docker reads `myorg/app`: refused later for its closed catalog, with advice.
    expect(spec('myorg/*')).toMatchObject({ kind: 'catalog', registry: 'docker.io', namespace: 'myorg' });
    expect(spec('ghcr.io/org/*')).toMatchObject({ kind: 'catalog', registry: 'ghcr.io', namespace: 'org' });
  });

  test('no valid Docker reference is read as an expansion, and no expansion is a valid Docker reference', () => {
    for (const ref of [
      'nginx',
      'nginx:1.25',
      'localhost:5000/a/b:latest',
      'a/b@sha256:' + 'a'.repeat(64),
      'registry.example.com:443/x/y:v1',
    ]) {
      expect(spec(ref)).toBeUndefined();
    }
    for (const line of [
      'nginx:*',
      'nginx:/1/',
      'nginx:semver(^1)',
      'nginx:latest(3)',
      'nginx:semver(>=1.2 <2),latest(1)',
      'h.io/n/*',
      'h.io/*',
    ]) {
      expect(() => parseReference(line)).toThrow();
      expect(spec(line)).toBeDefined();
    }
  });

  test('a wrong expansion is an error that says what to write', () => {
    expect(() => spec('nginx:/(/')).toThrow(/invalid tag regex/);
    expect(() => spec('nginx:semver(not a range!)')).toThrow(/invalid semver range/);
    expect(() => spec('nginx:latest(0)')).toThrow(/whole number from 1/);
    expect(() => spec('nginx:latest(3),latest(4)')).toThrow(/twice/);
    expect(() => spec('nginx:1.0:*')).toThrow(/names a tag or digest/);
    expect(() => spec('Bad/Repo:*')).toThrow(/invalid repository/);
  });

  test('a URL is not read as an expansion with a regex selector: it is "not an image reference (a URL …)"', () => {
    const urls = [
      'https://github.com/docker/docker',
      'http://registry.example.com/team/app:1',
      'oci://registry.example.com/app',
      'docker://nginx:1.25',
      'HTTPS://Quay.io/x/y',
    ];
    for (const url of urls) expect(spec(url)).toBeUndefined();
    const { entries, expansions } = parseInput(Buffer.from(urls.join('\n')));
    expect(expansions).toEqual([]);
    expect(entries.map((e) => [e.line, e.kind === 'invalid' ? e.error : e.kind])).toEqual(
      urls.map((_url, i) => [
        i + 1,
        expect.stringMatching(/^invalid reference: not an image reference \(a URL, [a-zA-Z]+:\/\/…\); name an image as/),
      ]),
    );
    expect(entries[0]).toMatchObject({ error: expect.not.stringMatching(/REGEX/) });
    expect(entries[3]).toMatchObject({ error: expect.stringMatching(/e\.g\. nginx:1\.25$/) });
  });

  test('selectors: every tag, a regex, a semver range, the latest N, and both', () => {
    const tags = ['latest', '1.24.0', '1.25', '1.25.3', 'v1.26.0', '1.26.1-rc.1', '1.25-alpine', '2.0.0', 'edge'];
    expect(tagsOf('a:*', tags)).toEqual(tags);
    expect(tagsOf('a:/-alpine$/', tags)).toEqual(['1.25-alpine']);
    expect(tagsOf('a:semver(^1.25)', tags)).toEqual(['1.25', '1.25.3', 'v1.26.0']);
    expect(tagsOf('a:semver(>=1.24 <2)', tags)).toEqual(['1.24.0', '1.25', '1.25.3', 'v1.26.0']);
    expect(tagsOf('a:latest(2)', tags)).toEqual(['2.0.0', 'v1.26.0']);
    expect(tagsOf('a:semver(1.x),latest(2)', tags)).toEqual(['v1.26.0', '1.25.3']);
    // A range that names a prerelease admits it, as npm's semver does.
    expect(tagsOf('a:semver(>=1.26.1-rc.0)', tags)).toEqual(['1.26.1-rc.1', '2.0.0']);
    expect(describeSelector(parseExpansion('a:semver(^1),latest(3)')!.tags)).toBe('versions in ^1, the latest 3');
  });

  test('a tag regex runs in linear time (RE2): /^(a+)+$/ against 41-character tags ends, and matches as written', () => {
    // Node's backtracking engine takes minutes on each such tag; RE2 takes microseconds.
    const tags = Array.from({ length: 1000 }, (_, i) => `${'a'.repeat(40)}${i % 2 === 0 ? 'b' : 'a'}`);
    const kept = tagsOf('a:/^(a+)+$/', tags);
    expect(kept).toHaveLength(500);
    expect(kept.every((t) => !t.includes('b'))).toBe(true);
    expect(tagsOf('a:/^v?1\\.2[0-9]+(-alpine)?$/', ['1.25', 'v1.26-alpine', '1.3', 'x1.25'])).toEqual(['1.25', 'v1.26-alpine']);
    expect(tagsOf('a:/\\d{4}$/', ['build-2024', 'build-24'])).toEqual(['build-2024']);
    expect(describeSelector(parseExpansion('a:/^1\\./')!.tags)).toBe('tags matching /^1\\./');
  });

  test('what RE2 cannot bound is refused with a message saying the syntax: backreferences, lookaround, huge repeats', () => {
    expect(() => spec('a:/(a)\\1/')).toThrow(/invalid tag regex .*invalid escape sequence.*RE2 syntax: no backreferences or lookaround/);
    expect(() => spec('a:/^(?=1)/')).toThrow(/invalid tag regex .*RE2 syntax/);
    expect(() => spec('a:/(x{100}){100}/')).toThrow(/invalid repeat count/);
    expect(() => spec(`a:/${'[a-z]{1000}'.repeat(3)}/`)).toThrow(/compiles to \d+ instructions, over 2000/);
    expect(() => spec(`a:/${'a'.repeat(513)}/`)).toThrow(/513 characters, over 512/);
  });

  test('a tag is a version only when it is written as one', () => {
    expect(versionOfTag('1')?.version).toBe('1.0.0');
    expect(versionOfTag('v2.3')?.version).toBe('2.3.0');
    for (const t of ['latest', '1.2.3.4', 'sha-abc', '01.2.3', '']) expect(versionOfTag(t)).toBeUndefined();
  });

  test('input.txt keeps expansion lines apart; the rest of the file reads as before', () => {
    const { entries, expansions } = parseInput(Buffer.from('nginx:1.25\nredis:*   # every tag\nnginx:/((/\nbusybox\n'));
    expect(entries.map((e) => [e.line, e.kind])).toEqual([
      [1, 'reference'],
      [3, 'invalid'],
      [4, 'reference'],
    ]);
    expect(entries[1]).toMatchObject({ error: expect.stringMatching(/^invalid expansion: invalid tag regex/) });
    expect(expansions).toEqual([expect.objectContaining({ input: 'redis:*', origin: { file: 'input.txt', line: 2 } })]);
  });
});
