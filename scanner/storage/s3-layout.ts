/**
 * Where a pipeline's objects go in the output bucket, known to both sides from here: the stack
 * grants its roles on these keys, scan.sh writes reports to them, and the scanner keeps its
 * digest caches by them. A key the scanner invented without the stack would be one the build
 * role may not read (every run would then start cold). Imports nothing, so lib/ and the
 * scanner read it alike.
 */

/** Placeholders of the run folder pattern that scan.sh fills in at run time. */
export const RUN_FOLDER_TIMESTAMP = '{timestamp}';
export const RUN_FOLDER_RUN_ID = '{run}';

/** The report prefix without leading or trailing `/`; the one rule every side applies. */
export function normalizeReportPrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** Where a run's objects go in the output bucket: keys relative to the bucket. */
export interface ReportLayout {
  /** Key prefix of everything the scanner writes, normalized. */
  readonly prefix: string;
  /** `<prefix>/{timestamp}-{run}/`: one folder per run; scan.sh fills the placeholders. */
  readonly runFolderPattern: string;
  /** `<prefix>/latest/`: the newest run's files. */
  readonly latestFolder: string;
  /** `<prefix>/cache/`: every digest cache object (digestCacheKeys), and nothing else. */
  readonly cacheFolder: string;
  /** `<prefix>/cache/digest-cache.json`: the scanner's `--cache`, read and rewritten by every run. */
  readonly cacheKey: string;
}

export function reportLayout(prefix: string): ReportLayout {
  const p = normalizeReportPrefix(prefix);
  return {
    prefix: p,
    runFolderPattern: `${p}/${RUN_FOLDER_TIMESTAMP}-${RUN_FOLDER_RUN_ID}/`,
    latestFolder: `${p}/latest/`,
    cacheFolder: `${p}/cache/`,
    cacheKey: `${p}/cache/digest-cache.json`,
  };
}

/** An (account, region) registry, as the cache keys name it. */
export interface CacheRegistry {
  readonly accountId: string;
  readonly region: string;
}

/**
 * A scan of several registries keeps one digest cache per registry beside the one named
 * (`<cache>.<account>-<region>`), so that each registry's cache is read and written on its own;
 * the named one keeps the sources' manifests (and, in a scan of the credentials' own registry
 * alone, that registry's too).
 */
export function registryCacheKey(cacheKey: string, registry: CacheRegistry): string {
  return `${cacheKey}.${registry.accountId}-${registry.region}`;
}

/** Twelve characters of IAM's one-character wildcard: any account ID, where the accounts are not known before the run. */
export const ANY_ACCOUNT_ID = '????????????';

/**
 * The cache keys a run reads and writes: the named key, and for a scan of several registries one
 * per (account, region) of the scope (`ANY_ACCOUNT_ID` for every account of an organization).
 */
export function digestCacheKeys(cacheKey: string, scope?: { accounts: readonly string[]; regions: readonly string[] }): string[] {
  if (!scope) return [cacheKey];
  return [
    cacheKey,
    ...scope.accounts.flatMap((accountId) => scope.regions.map((region) => registryCacheKey(cacheKey, { accountId, region }))),
  ];
}
