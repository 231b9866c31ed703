import { grown } from '../../scanner/ecr/typed-array';

describe('grown', () => {
  it('returns the same array when it already holds the length asked', () => {
    const column = new Int32Array(8);
    expect(grown(column, 8)).toBe(column);
  });

  it('copies into an array of the same type at least half as long again, the items kept at the start', () => {
    const column = Float64Array.of(1.5, 2.5, 3.5, 4.5);
    const bigger = grown(column, 5);
    expect(bigger).toBeInstanceOf(Float64Array);
    expect(bigger.length).toBe(6);
    expect([...bigger.subarray(0, 4)]).toEqual([1.5, 2.5, 3.5, 4.5]);
  });

  it('grows to the length asked when that is more than half as long again', () => {
    expect(grown(new Uint8Array(4), 100).length).toBe(100);
  });
});
