import { byText } from '../../scanner/text/by-text';

describe('byText', () => {
  it('orders by code unit, upper case before lower case, whatever the locale', () => {
    expect(['b', 'a', 'B', 'é', 'A'].sort(byText)).toEqual(['A', 'B', 'a', 'b', 'é']);
  });

  it('says 0 of equal texts, so a chain of comparisons falls through to the next key', () => {
    expect(byText('us-east-1', 'us-east-1')).toBe(0);
    expect(byText('a', 'b')).toBeLessThan(0);
    expect(byText('b', 'a')).toBeGreaterThan(0);
  });
});
