/**
 * An Amazon ECR emulator for tests, the benchmark and the demo: ECR's AWS JSON
 * 1.1 API (DescribeRepositories, DescribeImages, BatchGetImage, ListImages,
 * ListImageReferrers, UpdateImageStorageClass, pull-through cache rules and
 * account settings; the archive storage class,
 * referrers, pull times, tag mutability with exclusions) on
 * 127.0.0.1, backed by an in-memory store, with knobs for what real ECR does
 * to clients under load or misconfiguration: small pages, latency,
 * throttling, injected errors, and changes between two calls.
 *
 * Signatures are not verified (there is no secret to verify them with), but an
 * Authorization header scoped to service `ecr` and the emulator's region is
 * required, so a client that forgets to sign or signs for the wrong region
 * fails here as it would against AWS.
 *
 * One emulator can serve several registries (`registries`): a request reaches
 * the registry of the account its access key names (emulator/sts/identity.ts)
 * in the region it was signed for, and a session the STS emulator issued is
 * refused once it has expired.
 */
import { ApiContext, ArchiveClassSupport, EcrOperation, PagedOperation } from './api';
import { CallLog, EcrCallCounts, EcrCallRecord } from './call-log';
import { DistributionContent, DistributionRegistry } from './distribution';
import { DispatchParts, EcrDispatcher } from './dispatch';
import { EcrFault, FaultTable } from './faults';
import { CallHooks, EcrCallHook } from './hooks';
import { EcrRegistryContent, Registries } from './registries';
import { PullThroughCacheRuleContent, RegistrySettings } from './registry-settings';
import { EcrStoreContent, EcrStoreHandle } from './store';
import { SyntheticStore } from './synthetic';
import { RegistryThrottles, ThrottleOptions } from './throttle';
import { listenOnLoopback } from '../loopback-server';

export { ECR_OPERATIONS, EcrServiceError } from './api';
export type { ArchiveClassSupport, EcrOperation, JsonObject, PagedOperation } from './api';
export { DistributionRegistry } from './distribution';
export type { DistributionContent, DistributionManifest } from './distribution';
export { loadFromRegistry } from './load';
export type { LoadFromRegistryOptions, RegistryMapping } from './load';
export { manifestImage, sha256Digest } from './store';
export type {
  CreateRepositoryOptions,
  EcrImage,
  EcrImageSummary,
  EcrStoreContent,
  EcrStoreHandle,
  ImageStatus,
  TagMutability,
} from './store';
export { syntheticStore } from './synthetic';
export { ArtifactType, cosignSignature, EMPTY_CONFIG, helmChart, notationSignature, spdxSbom } from './artifacts';
export type { PlantedImage, SyntheticKind, SyntheticStore, SyntheticStoreOptions } from './synthetic';
export type { ThrottleOptions } from './throttle';
export type { EcrCallCounts, EcrCallInfo, EcrCallRecord } from './call-log';
export type { EcrFault } from './faults';
export type { EcrCallHook } from './hooks';
export type { EcrRegistryContent } from './registries';
export type { PullThroughCacheRuleContent, RegistrySettings, RegistrySettingsContent } from './registry-settings';

export interface EcrEmulatorOptions {
  /** Default '123456789012'. */
  accountId?: string;
  /** Default 'us-east-1'. */
  region?: string;
  repositories?: EcrStoreContent;
  synthetic?: SyntheticStore;
  /** The registry's pull-through cache rules from the start. */
  pullThroughCacheRules?: PullThroughCacheRuleContent[];
  /** Account settings from the start, e.g. `{ BLOB_MOUNTING: 'ENABLED' }` (unset ones read as ECR's defaults). */
  accountSettings?: Record<string, string>;
  /** Server-side page caps: a page holds min(maxResults or 100, cap) items. */
  pageSize?: Partial<Record<PagedOperation, number>>;
  /** Added before each answer; a function can vary it by operation. */
  latencyMs?: number | ((operation: EcrOperation) => number);
  throttle?: ThrottleOptions;
  /** Errors to answer instead of results; `{ code: 'UnknownOperationException' }` answers as an endpoint that predates the operation. */
  faults?: Partial<Record<EcrOperation, EcrFault | EcrFault[]>>;
  beforeOperation?: EcrCallHook;
  /** Serve a read-only OCI distribution API (requests without X-Amz-Target) from this content. */
  distribution?: DistributionContent;
  /** More registries to serve beside the one of accountId/region (each with its own store and throttle). */
  registries?: EcrRegistryContent[];
  /** The IAM role or user every request is taken to come from. Default `arn:aws:iam::<account>:role/ecr-scanner`. */
  callerPrincipalArn?: string;
  /** Principals registered as pull-time update exclusions from the start; BatchGetImage by them leaves lastRecordedPullTime alone. */
  pullTimeExclusions?: string[];
  /** How the endpoint treats the archive storage class's filters and fields (api.ts). Default `supported`. */
  archiveClass?: ArchiveClassSupport;
  /** Keep a record of every call in `log`. Default true. */
  recordCalls?: boolean;
  /**
   * What GetAuthorizationToken answers. Default: user `AWS`, a fixed password, and this
   * emulator's own endpoint as proxyEndpoint (it serves `distribution` there).
   */
  authorization?: { username?: string; password?: string; proxyEndpoint?: string };
}

/** The password the emulator's GetAuthorizationToken hands out unless told otherwise. */
export const EMULATOR_ECR_PASSWORD = 'emulator-ecr-token-s3ntinel';

export interface EcrEmulator {
  /** 'http://127.0.0.1:PORT', for ECRClient({ endpoint }), AWS_ENDPOINT_URL_ECR or `aws --endpoint-url`. */
  readonly endpoint: string;
  readonly port: number;
  readonly accountId: string;
  readonly region: string;
  readonly calls: Readonly<EcrCallCounts>;
  readonly log: readonly EcrCallRecord[];
  readonly inFlight: number;
  /** Peak number of operation requests in flight at once since start or resetCalls(). */
  readonly maxConcurrent: number;
  readonly store: EcrStoreHandle;
  /** The store of one of the registries served; undefined when it serves no such registry. */
  storeOf(accountId: string, region: string): EcrStoreHandle | undefined;
  /** The emulator's own registry's pull-through cache rules and account settings. */
  readonly settings: RegistrySettings;
  /** Those of one of the registries served. */
  settingsOf(accountId: string, region: string): RegistrySettings | undefined;
  /** Principals registered as pull-time update exclusions (RegisterPullTimeUpdateExclusion), sorted. */
  readonly pullTimeExclusions: readonly string[];
  /** The source-registry side; present when options.distribution was given. */
  readonly distribution: DistributionRegistry | undefined;
  /** Zeroes calls, log and maxConcurrent; also restarts fault and everyNth counting. */
  resetCalls(): void;
  /** Registers a hook for one operation or all ('*'); returns a function that removes it. */
  onCall(operation: EcrOperation | '*', hook: EcrCallHook): () => void;
  setFaults(operation: EcrOperation, faults: EcrFault | EcrFault[] | undefined): void;
  setThrottle(options: ThrottleOptions | undefined): void;
  setLatency(latencyMs: number | ((operation: EcrOperation) => number)): void;
  /** Changes what GetAuthorizationToken answers from now on. */
  setAuthorization(next: { username?: string; password?: string; proxyEndpoint?: string }): void;
  setPageSize(operation: PagedOperation, size: number | undefined): void;
  stop(): Promise<void>;
}

/** Everything one running emulator keeps between calls, each part owning one concern. */
interface EmulatorParts extends DispatchParts {
  dispatcher: EcrDispatcher;
}

/**
 * The API context of the emulator's own registry. Its pageSize, authorization and
 * pullTimeExclusions objects are shared with every other registry (see registries.ts).
 */
function ownApiContext(options: EcrEmulatorOptions): ApiContext {
  const accountId = options.accountId ?? '123456789012';
  return {
    accountId,
    region: options.region ?? 'us-east-1',
    pageSize: { ...options.pageSize },
    authorization: {
      username: options.authorization?.username ?? 'AWS',
      password: options.authorization?.password ?? EMULATOR_ECR_PASSWORD,
      // Known once the server listens (startEcrEmulator).
      proxyEndpoint: options.authorization?.proxyEndpoint ?? '',
      validForMs: 12 * 3600 * 1000,
    },
    callerPrincipalArn: options.callerPrincipalArn ?? `arn:aws:iam::${accountId}:role/ecr-scanner`,
    pullTimeExclusions: new Set(options.pullTimeExclusions ?? []),
    archiveClass: options.archiveClass ?? 'supported',
  };
}

function emulatorParts(options: EcrEmulatorOptions): EmulatorParts {
  const hooks = new CallHooks();
  if (options.beforeOperation) hooks.add('*', options.beforeOperation);
  const parts = {
    registries: new Registries(ownApiContext(options), options, options.registries ?? []),
    calls: new CallLog(options.recordCalls ?? true),
    hooks,
    throttles: new RegistryThrottles(options.throttle),
    faults: new FaultTable(options.faults),
    distribution: options.distribution ? new DistributionRegistry(options.distribution) : undefined,
  };
  return { ...parts, dispatcher: new EcrDispatcher(parts, options.latencyMs ?? 0) };
}

export async function startEcrEmulator(options: EcrEmulatorOptions = {}): Promise<EcrEmulator> {
  const parts = emulatorParts(options);
  const server = await listenOnLoopback((req, res) => parts.dispatcher.route(req, res));
  const port = Number(new URL(server.endpoint).port);
  const { authorization } = parts.registries.main.ctx;
  if (!authorization.proxyEndpoint) authorization.proxyEndpoint = `http://127.0.0.1:${port}`;
  return emulatorHandle(parts, port, () => server.stop());
}

/** What a test holds: read-outs of the parts, and setters that change them between calls. */
function emulatorHandle(parts: EmulatorParts, port: number, stop: () => Promise<void>): EcrEmulator {
  const { registries, calls, hooks, throttles, faults, dispatcher } = parts;
  const { ctx, store, settings } = registries.main;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accountId: ctx.accountId,
    region: ctx.region,
    get calls() {
      return calls.counts;
    },
    get log() {
      return calls.log;
    },
    get inFlight() {
      return calls.inFlight;
    },
    get maxConcurrent() {
      return calls.maxConcurrent;
    },
    store,
    storeOf: (account, region) => registries.get(account, region)?.store,
    settings,
    settingsOf: (account, region) => registries.get(account, region)?.settings,
    distribution: parts.distribution,
    get pullTimeExclusions() {
      return [...ctx.pullTimeExclusions].sort();
    },
    resetCalls() {
      calls.reset();
      faults.rewind();
      throttles.rewind();
    },
    onCall: (operation, hook) => hooks.add(operation, hook),
    setFaults: (operation, spec) => faults.set(operation, spec),
    setThrottle: (next) => throttles.configure(next),
    setAuthorization(next) {
      Object.assign(ctx.authorization, Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)));
    },
    setLatency(next) {
      dispatcher.latency = next;
    },
    setPageSize(operation, size) {
      if (size === undefined) delete ctx.pageSize[operation];
      else ctx.pageSize[operation] = size;
    },
    stop,
  };
}
