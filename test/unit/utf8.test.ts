import { lossyUtf8, strictUtf8, withoutBom, withoutBomText } from '../../scanner/input/utf8';

describe('input UTF-8', () => {
  it('drops a leading byte-order mark from bytes and from text, and nothing else', () => {
    expect(withoutBom(Buffer.from('\uFEFFalpine:3', 'utf8')).toString()).toBe('alpine:3');
    expect(withoutBom(Buffer.from('alpine:3\uFEFF', 'utf8')).toString()).toBe('alpine:3\uFEFF');
    expect(withoutBomText('\uFEFFkind: Pod')).toBe('kind: Pod');
    expect(withoutBomText('kind: Pod')).toBe('kind: Pod');
  });

  it('refuses bytes that are not UTF-8 strictly and reads them as U+FFFD lossily', () => {
    const latin1 = Buffer.from('caf\xe9', 'latin1');
    expect(() => strictUtf8.decode(latin1)).toThrow(/not valid/);
    expect(lossyUtf8.decode(latin1)).toBe('caf\uFFFD');
  });
});
