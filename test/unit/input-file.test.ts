import { parseTextMentions, stripComment } from '../../scanner/input/input-file';
import { parseInput } from '../support/parse-input';
import { collectSources } from '../../scanner/input/mentions';

const parse = (text: string | Buffer) => parseInput(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));

describe('parseInput', () => {
  test('comments, blank lines, surrounding whitespace, CRLF and a BOM are tolerated', () => {
    const text = '\uFEFF# images to migrate\r\n\r\n  nginx:1.25  \r\n\tredis # cache\r\nquay.io/a/b:1#not-a-comment\r\n';
    const { entries } = parse(text);
    expect(entries.map((e) => [e.line, e.kind, e.input])).toEqual([
      [3, 'reference', 'nginx:1.25'],
      [4, 'reference', 'redis'],
      [5, 'invalid', 'quay.io/a/b:1#not-a-comment'],
    ]);
  });

  test('duplicates after normalisation fold into the first line', () => {
    const { entries } = parse('nginx\ndocker.io/library/nginx:latest\nredis\nnginx:latest\n');
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ line: 1, duplicateLines: [2, 4], canonical: 'docker.io/library/nginx:latest' });
  });

  test('the same file given twice (--input a.txt --input a.txt) adds no origin or duplicate line', () => {
    const bytes = Buffer.from('nginx\nredis\nnginx:latest\n');
    const once = collectSources(parseTextMentions(bytes, 'a.txt').mentions);
    const twice = collectSources([...parseTextMentions(bytes, 'a.txt').mentions, ...parseTextMentions(bytes, 'a.txt').mentions]);
    expect(twice).toEqual(once);
    expect(twice[0]).toMatchObject({
      duplicateLines: [3],
      origins: [
        { file: 'a.txt', line: 1 },
        { file: 'a.txt', line: 3 },
      ],
    });
  });

  test('a line repeated 200,000 times is read once and folded in linear time, every line kept', () => {
    const { entries, contentLines } = parse(`${'nginx:1.25\nredis\n'.repeat(100_000)}Not/Valid\n`);
    expect(contentLines).toBe(200_001);
    expect(entries.map((e) => [e.line, e.kind, e.kind === 'reference' ? e.duplicateLines.length : 0])).toEqual([
      [1, 'reference', 99_999],
      [2, 'reference', 99_999],
      [200_001, 'invalid', 0],
    ]);
  });

  test('an invalid line becomes an error entry with its line number, the rest is kept', () => {
    const { entries } = parse('nginx\nNot/Valid\nredis');
    expect(entries.map((e) => e.kind)).toEqual(['reference', 'invalid', 'reference']);
    expect(entries[1]).toMatchObject({ line: 2, error: expect.stringMatching(/lowercase/) });
  });

  test('empty file and comment-only file give no entries', () => {
    expect(parse('').entries).toEqual([]);
    expect(parse('# a\n   # b\n\n').entries).toEqual([]);
  });

  test('invalid UTF-8 is an error entry for that line only', () => {
    const bytes = Buffer.concat([Buffer.from('nginx\n'), Buffer.from([0x66, 0xff, 0xfe, 0x0a]), Buffer.from('redis\n')]);
    const { entries } = parse(bytes);
    expect(entries.map((e) => [e.line, e.kind])).toEqual([
      [1, 'reference'],
      [2, 'invalid'],
      [3, 'reference'],
    ]);
    expect(entries[1]).toMatchObject({ error: 'line is not valid UTF-8' });
  });

  test('binary garbage is reported line by line, never dropped', () => {
    const garbage = Buffer.from([0x00, 0x01, 0x02, 0x0a, 0x7f, 0x45, 0x4c, 0x46, 0x0a]);
    const { entries, contentLines } = parse(garbage);
    expect(contentLines).toBe(2);
    expect(entries.every((e) => e.kind === 'invalid')).toBe(true);
  });

  test('a 10,000-character line is an error with a shortened echo', () => {
    const { entries } = parse(`nginx\n${'a'.repeat(10_000)}\n`);
    expect(entries[1]).toMatchObject({ kind: 'invalid', line: 2 });
    expect(entries[1]!.input.length).toBeLessThan(300);
  });

  test('10,000 lines are all accounted for', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `registry.example.com/team/app-${i % 5000}:v1`);
    const { entries } = parse(lines.join('\n'));
    expect(entries).toHaveLength(5000);
    const accounted = entries.flatMap((e) => (e.kind === 'reference' ? [e.line, ...e.duplicateLines] : [e.line]));
    expect(new Set(accounted).size).toBe(10_000);
  });

  test('stripComment', () => {
    expect(stripComment('  # only')).toBe('');
    expect(stripComment('a # b')).toBe('a');
    expect(stripComment('a\t#b')).toBe('a');
    expect(stripComment('a#b')).toBe('a#b');
  });
});
