/**
 * One scan, start to finish: read input.txt, resolve every source and
 * inventory ECR at the same time, match, write the report, upload it.
 * Returns the contract's exit status instead of exiting, so tests and the
 * demo drive exactly what the CLI runs.
 */
import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { mapLimited } from './concurrency/limiter';
import { indexInventory } from './match/match';
import { PlatformFilter } from './oci/platform';
import { Logger, PhaseProgress } from './log/progress';
import { ResolveContext, resolveSource } from './source/resolve';
import { ResolvedSource } from './source/types';
import { CacheLocation, describeCacheLocation, loadCache, saveCache } from './ecr/cache-store';
import { ManifestTable } from './ecr/manifest-table';
import { collectSources, Mention, ValidSource } from './input/mentions';
import { InputFormat, readInput } from './input/read-input';
import { ExpansionOutcome, expandMentions } from './source/expand';
import { ReferrerFinder } from './source/referrers';
import { RegistryClient } from './registry/client';
import { DockerConfig } from './registry/docker-config';
import { registryAccessResolver } from './registry/access';
import { EcrClientFactory } from './registry/ecr-login';
import { inventoryKnowledge, scannedRegistry, scannedRegistryTags } from './source/inventory-knowledge';
import { RegistryEndpoints } from './registry/endpoint';
import { RetryPolicy } from './registry/http';
import { buildReportWithReferences } from './report/build-report';
import { markPullThroughCacheMatches } from './report/pull-through-cache-matches';
import { renderReportFiles } from './output/render';
import { buildPlan, planTarget } from './plan/build-plan';
import { normalizeTargetPrefix, planTargetTags } from './plan/target-name';
import { Report, ReportProvenance } from './report/report-types';
import { S3Location, formatS3Location, uploadCompleteSet } from './output/upload-s3';
import { ensureWritableDir, writeReportFiles } from './output/write-local';
import { ExitCode } from './errors/exit-code';
import { FatalError } from './errors/fatal-error';
import { AwsClients, RegistriesEvidence, startRegistriesScan } from './registries-scan';
import { OWN_REGISTRY, ScopeRequest } from './scope/scope';

export type { ExitCode } from './errors/exit-code';

export interface ScanOptions {
  /** `--input`, repeatable: each file is read as its content says, unless inputFormat forces a kind. */
  inputPaths: readonly string[];
  inputFormat?: InputFormat;
  outDir: string;
  s3Locations: S3Location[];
  concurrency: number;
  platforms: PlatformFilter;
  endpoints: RegistryEndpoints;
  /** Registry credentials: Docker's config.json and its helpers. */
  dockerConfig: Pick<DockerConfig, 'lookup' | 'namesHost'>;
  /** ECR clients for ECR source registries (GetAuthorizationToken); without it they are treated like any registry. */
  ecrClientForRegion?: EcrClientFactory;
  timeoutMs: number;
  registryRetry?: RetryPolicy;
  provenance?: ReportProvenance;
  /** ECR clients per registry (given the scan's concurrency, so each can keep as many sockets open), STS and Organizations when the scope needs them. */
  aws: AwsClients;
  s3Client: () => S3Client;
  /** Where the digest cache is kept between runs; none when absent. */
  cacheLocation?: CacheLocation;
  /** Put before every target repository of the migration plan (`--target-prefix`); default none. */
  targetPrefix?: string;
  /** Which registries (`--region`, `--account`/`--organization`, `--role-name`, `--target-registry`); default the credentials' own registry in the SDK's region. */
  scope?: ScopeRequest;
  logger: Logger;
  now?: () => Date;
}

export interface ScanResult {
  exitCode: ExitCode;
  report?: Report;
  files: string[];
  uploaded: string[];
  message?: string;
}

/** What the report is built from besides the inputs: the registries read (none when no source needed them) and each source resolved. */
interface Evidence {
  registries?: RegistriesEvidence;
  /** Resolution of each valid entry, by its canonical reference. */
  resolved: Map<string, ResolvedSource>;
}

/** The digest cache of earlier runs, when a location is given; warnings about it are logged. */
async function loadDigestCache(options: ScanOptions): Promise<ManifestTable | undefined> {
  if (!options.cacheLocation) return undefined;
  const loaded = await loadCache(options.cacheLocation, options.s3Client);
  for (const w of loaded.warnings) options.logger.warn(w);
  options.logger.info(`digest cache: ${loaded.cache.size} manifest(s) known from ${describeCacheLocation(options.cacheLocation)}`);
  return loaded.cache;
}

/** Each valid source resolved (with its referrers, unless the scanned registry answers it), by canonical reference. */
function resolveSources(
  valid: readonly ValidSource[],
  context: ResolveContext,
  registry: RegistryClient,
  concurrency: number,
  progress: PhaseProgress,
): Promise<(readonly [string, ResolvedSource])[]> {
  const referrers = new ReferrerFinder(registry);
  let resolvedCount = 0;
  return mapLimited(valid, concurrency, async (entry) => {
    let result = await resolveSource(context, entry.reference);
    // The scanned ECR registry's own sources are answered from the inventory: nothing to copy, nothing to ask.
    if (result.ok && !(await context.scanned?.isScanned(entry.reference.registry))) {
      const found = await referrers.find(entry.reference.registry, entry.reference.repository, result.digest);
      result = {
        ...result,
        referrers: found.referrers,
        ...(found.error ? { referrersError: found.error, referrersErrorKind: found.errorKind ?? 'failed' } : {}),
      };
    }
    resolvedCount++;
    progress.update(`${resolvedCount}/${valid.length} resolved`, resolvedCount === valid.length);
    return [entry.canonical, result] as const;
  });
}

/**
 * Inventories ECR and resolves the sources at the same time: HEADs go out at
 * once, and a source's GETs wait for what ECR and the cache already know.
 * Throws a FatalError when the scope cannot be decided or none of its registries could be read.
 */
async function gatherEvidence(
  valid: readonly ValidSource[],
  options: ScanOptions,
  registry: RegistryClient,
  targetPrefix: string,
  startedAt: number,
): Promise<Evidence> {
  const { logger } = options;
  const cache = await loadDigestCache(options);
  const ecrProgress = new PhaseProgress(logger, 'ecr', startedAt);
  // ECR sources' tags (resolved from the inventory) and the plan's targets (a copy never moves a tag).
  const wantedTags = new Set([...scannedRegistryTags(valid), ...planTargetTags(valid, targetPrefix)]);
  // Which registries is decided first (a failure there is fatal); they are then read while sources resolve.
  const { done } = await startRegistriesScan({
    request: options.scope ?? OWN_REGISTRY,
    aws: options.aws,
    concurrency: options.concurrency,
    wantedTags,
    logger,
    progress: ecrProgress,
    ...(options.cacheLocation ? { cacheLocation: options.cacheLocation } : {}),
    ...(cache ? { sourcesCache: cache } : {}),
    s3Client: options.s3Client,
  });
  const inventory = done.then((r) => r.inventories);
  // Observed below; this keeps an early failure from being reported as unhandled meanwhile.
  inventory.catch(() => undefined);

  const context: ResolveContext = {
    client: registry,
    filter: options.platforms,
    known: inventoryKnowledge(inventory, cache),
    scanned: scannedRegistry(inventory),
  };
  const resolving = resolveSources(valid, context, registry, options.concurrency, new PhaseProgress(logger, 'sources', startedAt));
  let registries: RegistriesEvidence;
  try {
    registries = await done;
  } catch (err) {
    await resolving.catch(() => undefined);
    throw err;
  }
  const resolved = new Map<string, ResolvedSource>(await resolving);
  if (cache && options.cacheLocation) {
    const warning = await saveCache(options.cacheLocation, cache, options.s3Client);
    if (warning) logger.warn(warning);
  }
  for (const w of registries.targetSettings.warnings) logger.warn(w);
  return { registries, resolved };
}

function registryClientOf(options: ScanOptions): RegistryClient {
  const { logger } = options;
  return new RegistryClient({
    access: registryAccessResolver({
      dockerConfig: options.dockerConfig,
      endpoints: options.endpoints,
      ...(options.ecrClientForRegion ? { ecrClientFor: options.ecrClientForRegion } : {}),
    }),
    endpoints: options.endpoints,
    concurrencyPerHost: options.concurrency,
    timeoutMs: options.timeoutMs,
    ...(options.registryRetry ? { retry: options.registryRetry } : {}),
    onRetry: (message) => logger.info(`registry: ${message}`),
  });
}

/** Every --input file's mentions, in the order given. */
async function readInputs(options: ScanOptions): Promise<Mention[]> {
  const mentions: Mention[] = [];
  const readPaths = new Set<string>();
  for (const path of options.inputPaths) {
    // The same file twice (`--input a.txt --input ./a.txt`) would only report each of its errors twice.
    if (readPaths.has(resolve(path))) {
      options.logger.info(`input: ${path} was given already; read once`);
      continue;
    }
    readPaths.add(resolve(path));
    const read = await readInput(path, options.inputFormat);
    options.logger.info(`input: ${path} read as ${read.format} (${read.mentions.length} image mention(s))`);
    // One at a time: a spread of a million mentions would overflow the call stack.
    for (const mention of read.mentions) mentions.push(mention);
  }
  return mentions;
}

/** The sources of the mentions, expansion lines listed first; invalid entries are logged. */
async function collectScanSources(
  options: ScanOptions,
  registry: RegistryClient,
  mentions: Mention[],
): Promise<{ entries: ReturnType<typeof collectSources>; valid: ValidSource[]; expansions: ExpansionOutcome[] }> {
  const { logger } = options;
  let expansions: ExpansionOutcome[] = [];
  if (mentions.some((m) => m.kind === 'expansion')) {
    ({ mentions, outcomes: expansions } = await expandMentions(registry, mentions, { concurrency: options.concurrency }));
    for (const e of expansions) {
      if (e.error === undefined)
        logger.info(`expansion ${e.file} line ${e.line} (${e.input}): ${e.sources} reference(s) from ${e.repositories} repositories`);
    }
  }
  const entries = collectSources(mentions);
  const valid = entries.filter((e): e is ValidSource => e.kind === 'reference');
  const where = (e: { line: number; origins: ReadonlyArray<{ file: string }> }) =>
    options.inputPaths.length > 1 ? `${e.origins[0]?.file ?? ''} line ${e.line}` : `line ${e.line}`;
  for (const e of entries) if (e.kind === 'invalid') logger.warn(`${where(e)}: ${e.error}`);
  logger.info(
    `input: ${entries.length} source(s) from ${options.inputPaths.join(', ')} (${valid.length} to resolve, ${entries.length - valid.length} invalid)`,
  );
  return { entries, valid, expansions };
}

/**
 * The report files uploaded to each S3 location, in the order given, each location whole and
 * then its _complete.json: the run's folder (the first) is complete before latest/ is touched.
 * Stops at the first location that fails, with its message.
 */
async function uploadReport(
  options: ScanOptions,
  files: ReturnType<typeof renderReportFiles>,
): Promise<{ uploaded: string[]; failure?: string }> {
  const uploaded: string[] = [];
  const executionId = options.provenance?.executionId;
  for (const location of options.s3Locations) {
    try {
      const run = { runLocation: options.s3Locations[0] ?? location, now: new Date(), ...(executionId ? { executionId } : {}) };
      uploaded.push(...(await uploadCompleteSet(options.s3Client(), location, files, run)));
      options.logger.info(`uploaded the report to ${formatS3Location(location)}`);
    } catch (err) {
      if (!(err instanceof FatalError)) throw err;
      return { uploaded, failure: err.message };
    }
  }
  return { uploaded };
}

/** The report and the migration plan from what the scan gathered. */
function reportAndPlan(
  options: ScanOptions,
  scanned: {
    entries: ReturnType<typeof collectSources>;
    expansions: ExpansionOutcome[];
    evidence: Evidence;
    targetPrefix: string;
    usage: ReturnType<RegistryClient['usage']>;
  },
): { report: Report; plan: ReturnType<typeof buildPlan> } {
  const registries = scanned.evidence.registries;
  const inventories = registries?.inventories ?? [];
  const { report, referenced } = buildReportWithReferences({
    entries: scanned.entries,
    resolved: scanned.evidence.resolved,
    inventories,
    indexes: indexInventory(inventories, registries?.nameRegistries ?? false),
    // Expansion lines may have listed registries even when no source was left to resolve.
    registries: scanned.usage,
    ...(scanned.expansions.length > 0 ? { expansions: scanned.expansions } : {}),
    ...(registries ? { ecrFailures: registries.failures, ecrDuplicates: registries.duplicates } : {}),
    generatedAt: (options.now ?? (() => new Date()))(),
    ...(options.provenance ? { provenance: options.provenance } : {}),
    ...(options.platforms.isRestricted ? { platforms: options.platforms.describe().split(', ') } : {}),
  });
  for (const s of report.sources)
    if (s.status === 'error' && s.reference) options.logger.warn(`line ${s.line}: ${s.reference}: ${s.error}`);
  const target = planTarget(registries?.targetInventory, registries?.target);
  const plan = buildPlan(referenced, target, scanned.targetPrefix, registries?.targetSettings);
  if (registries && plan.target.registry !== undefined)
    markPullThroughCacheMatches(report, plan.target.registry, registries.targetSettings.pullThroughCacheRules);
  return { report, plan };
}

export async function runScan(options: ScanOptions): Promise<ScanResult> {
  const { logger } = options;
  const startedAt = Date.now();
  const fail = (message: string): ScanResult => {
    logger.warn(message);
    return { exitCode: 2, files: [], uploaded: [], message };
  };

  let mentions: Mention[];
  let targetPrefix: string;
  try {
    // Checked before the scan (the CLI has already), so a bad prefix costs no registry or ECR call.
    targetPrefix = normalizeTargetPrefix(options.targetPrefix ?? '');
    mentions = await readInputs(options);
    await ensureWritableDir(options.outDir);
  } catch (err) {
    if (err instanceof FatalError) return fail(err.message);
    throw err;
  }

  const registry = registryClientOf(options);
  const { entries, valid, expansions } = await collectScanSources(options, registry, mentions);

  // Nothing to compare needs no ECR call: an empty input.txt works without AWS access.
  let evidence: Evidence = { resolved: new Map() };
  if (valid.length > 0) {
    try {
      evidence = await gatherEvidence(valid, options, registry, targetPrefix, startedAt);
    } catch (err) {
      if (err instanceof FatalError) return fail(err.message);
      throw err;
    }
  }
  const { report, plan } = reportAndPlan(options, { entries, expansions, evidence, targetPrefix, usage: registry.usage() });
  const files = renderReportFiles(report, plan);
  let written: string[];
  try {
    written = await writeReportFiles(options.outDir, files);
  } catch (err) {
    return fail(`cannot write the report to ${options.outDir}: ${(err as Error).message}`);
  }
  const upload = await uploadReport(options, files);
  if (upload.failure) {
    logger.warn(`${upload.failure}; the local report in ${options.outDir} is complete`);
    return { exitCode: 2, report, files: written, uploaded: upload.uploaded, message: upload.failure };
  }
  const uploaded = upload.uploaded;
  const unreadRegistries = report.ecr.some((e) => e.error !== undefined);
  return { exitCode: report.summary.error > 0 || unreadRegistries ? 1 : 0, report, files: written, uploaded };
}
