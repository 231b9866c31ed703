/**
 * Growth of the typed-array columns the inventory and the digest cache keep (a row per image,
 * a million of them), called once per batch of rows, and of the count of registries holding each
 * image ID (duplicates-across.ts), called per ID: a length check but for the amortized copies.
 */

/** The typed arrays the columns are made of. */
type Column = Uint8Array | Uint16Array | Int32Array | Float64Array;

/**
 * `array` when it already holds `length` items; else a copy at least half as long again
 * (amortized appends), of the same type, holding `array`'s items at the start.
 */
export function grown<T extends Column>(array: T, length: number): T {
  if (length <= array.length) return array;
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(length, Math.ceil(array.length * 1.5)));
  bigger.set(array);
  return bigger;
}
