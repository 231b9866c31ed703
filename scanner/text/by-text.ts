/**
 * The order of names in the report and the plan (accounts, regions, repositories, digests,
 * hosts): by UTF-16 code unit, as `<` compares, so the same input gives the same files on
 * every machine, whatever its locale (localeCompare would not).
 */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
