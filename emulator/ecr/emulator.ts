/**
 * An Amazon ECR emulator for tests, the benchmark and the demo: ECR's AWS JSON
 * 1.1 API (DescribeRepositories, DescribeImages, BatchGetImage, ListImages,
 * ListImageReferrers, UpdateImageStorageClass; ECR of 2026: storage classes,
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
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { ApiContext, EcrOperation, EcrServiceError, JsonObject, PagedOperation, isEcrOperation, runOperation } from './api';
import { DistributionContent, DistributionRegistry } from './distribution';
import { EcrStore, EcrStoreContent, EcrStoreHandle } from './store';
import { SyntheticStore } from './synthetic';
import { Throttle, ThrottleOptions } from './throttle';
import { listenOnLoopback } from '../loopback-server';
import { accountOfAccessKey, decodeSessionToken, signingScope } from '../sts/identity';

export { ECR_OPERATIONS, EcrServiceError } from './api';
export type { EcrOperation, JsonObject, PagedOperation } from './api';
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

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921';
const JSON_TYPE = 'application/x-amz-json-1.1';

/** An error to answer instead of the operation's result. */
export interface EcrFault {
  /** `__type` of the answer, e.g. 'AccessDeniedException', 'ServerException', 'ThrottlingException'. */
  code: string;
  /** Default: a message in the style ECR and IAM use for that code. */
  message?: string;
  /** Default: 500 for ServerException, 503 for ServiceUnavailableException, else 400. */
  status?: number;
  /** Only calls naming one of these repositories (repositoryName, or repositoryNames for DescribeRepositories). */
  repositories?: string[];
  /** Let this many matching calls through first. */
  after?: number;
  /** Fault this many matching calls, then let them through. Default: all. */
  times?: number;
  /** Only calls to these registries (`account/region`); default: every registry the emulator serves. */
  registries?: string[];
}

export interface EcrCallInfo {
  operation: EcrOperation;
  input: JsonObject;
  /** 1-based number of this call among calls of the same operation since start or resetCalls(). */
  callNumber: number;
  /** From the `amz-sdk-request: attempt=N` header the JS SDK sends; 1 when absent (awscli 2.9's botocore does not send it). */
  attempt: number;
  /** The registry called: the account of the access key (else the emulator's own) and the signing region. */
  accountId: string;
  region: string;
}

/** Runs before the operation is answered; may change the store, or return a fault to answer with. */
export type EcrCallHook = (call: EcrCallInfo) => void | EcrFault | undefined | Promise<void | EcrFault | undefined>;

export interface EcrCallRecord extends EcrCallInfo {
  status: number;
  errorCode?: string;
  durationMs: number;
}

export interface EcrCallCounts {
  DescribeRepositories: number;
  DescribeImages: number;
  BatchGetImage: number;
  ListImages: number;
  GetAuthorizationToken: number;
  ListImageReferrers: number;
  UpdateImageStorageClass: number;
  RegisterPullTimeUpdateExclusion: number;
  DeregisterPullTimeUpdateExclusion: number;
  ListPullTimeUpdateExclusions: number;
  /** All operation calls, including throttled and faulted ones. */
  total: number;
  throttled: number;
  /** Answered with an injected fault (options.faults, setFault or a hook). */
  faulted: number;
  /** Refused before reaching an operation: no Authorization, unknown target, bad JSON. */
  rejected: number;
}

export interface EcrEmulatorOptions {
  /** Default '123456789012'. */
  accountId?: string;
  /** Default 'us-east-1'. */
  region?: string;
  repositories?: EcrStoreContent;
  synthetic?: SyntheticStore;
  /** Server-side page caps: a page holds min(maxResults or 100, cap) items. */
  pageSize?: Partial<Record<PagedOperation, number>>;
  /** Added before each answer; a function can vary it by operation. */
  latencyMs?: number | ((operation: EcrOperation) => number);
  throttle?: ThrottleOptions;
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
  /** Keep a record of every call in `log`. Default true. */
  recordCalls?: boolean;
  /**
   * What GetAuthorizationToken answers. Default: user `AWS`, a fixed password, and this
   * emulator's own endpoint as proxyEndpoint (it serves `distribution` there).
   */
  authorization?: { username?: string; password?: string; proxyEndpoint?: string };
}

/** Another (account, region) registry one emulator serves. */
export interface EcrRegistryContent {
  accountId: string;
  region: string;
  repositories?: EcrStoreContent;
  synthetic?: SyntheticStore;
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

const zeroCounts = (): EcrCallCounts => ({
  DescribeRepositories: 0,
  DescribeImages: 0,
  BatchGetImage: 0,
  ListImages: 0,
  GetAuthorizationToken: 0,
  ListImageReferrers: 0,
  UpdateImageStorageClass: 0,
  RegisterPullTimeUpdateExclusion: 0,
  DeregisterPullTimeUpdateExclusion: 0,
  ListPullTimeUpdateExclusions: 0,
  total: 0,
  throttled: 0,
  faulted: 0,
  rejected: 0,
});

function defaultStatus(code: string): number {
  if (code === 'ServerException' || code === 'InternalFailure') return 500;
  if (code === 'ServiceUnavailableException') return 503;
  return 400;
}

function repositoriesNamed(operation: EcrOperation, input: JsonObject): string[] {
  if (operation === 'DescribeRepositories') {
    return Array.isArray(input.repositoryNames) ? input.repositoryNames.filter((n): n is string => typeof n === 'string') : [];
  }
  return typeof input.repositoryName === 'string' ? [input.repositoryName] : [];
}

interface ArmedFault {
  fault: EcrFault;
  matched: number;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startEcrEmulator(options: EcrEmulatorOptions = {}): Promise<EcrEmulator> {
  const accountId = options.accountId ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, got ${accountId}`);

  const storeWith = (content: Omit<EcrRegistryContent, 'accountId' | 'region'>): EcrStore => {
    const made = new EcrStore();
    for (const repo of content.synthetic?.repositories ?? []) made.addGeneratedRepository(repo.name, repo.source, repo.createdAt);
    if (content.repositories) made.load(content.repositories);
    return made;
  };
  const store = storeWith(options);
  const distribution = options.distribution ? new DistributionRegistry(options.distribution) : undefined;

  const ctx: ApiContext = {
    accountId,
    region,
    pageSize: { ...options.pageSize },
    authorization: {
      username: options.authorization?.username ?? 'AWS',
      password: options.authorization?.password ?? EMULATOR_ECR_PASSWORD,
      // Known once the server listens, below.
      proxyEndpoint: options.authorization?.proxyEndpoint ?? '',
      validForMs: 12 * 3600 * 1000,
    },
    callerPrincipalArn: options.callerPrincipalArn ?? `arn:aws:iam::${accountId}:role/ecr-scanner`,
    pullTimeExclusions: new Set(options.pullTimeExclusions ?? []),
  };
  /** Each registry's store and API context, by `account/region`. */
  const registries = new Map<string, { store: EcrStore; ctx: ApiContext }>([[`${accountId}/${region}`, { store, ctx }]]);
  for (const extra of options.registries ?? []) {
    if (!/^[0-9]{12}$/.test(extra.accountId)) throw new Error(`accountId must be 12 digits, got ${extra.accountId}`);
    // pageSize and authorization are shared objects, so the setters below reach every registry.
    registries.set(`${extra.accountId}/${extra.region}`, {
      store: storeWith(extra),
      ctx: { ...ctx, accountId: extra.accountId, region: extra.region },
    });
  }
  let latency = options.latencyMs ?? 0;
  let throttleOptions = options.throttle;
  /** ECR's quotas are per account and region: one bucket per registry, made on its first call. */
  let throttles = new Map<string, Throttle>();
  const throttleOf = (registry: string): Throttle | undefined => {
    if (!throttleOptions) return undefined;
    let made = throttles.get(registry);
    if (!made) throttles.set(registry, (made = new Throttle(throttleOptions)));
    return made;
  };
  const faults = new Map<EcrOperation, ArmedFault[]>();
  const setFaults = (operation: EcrOperation, spec: EcrFault | EcrFault[] | undefined) => {
    const list = spec === undefined ? [] : Array.isArray(spec) ? spec : [spec];
    faults.set(
      operation,
      list.map((fault) => ({ fault, matched: 0 })),
    );
  };
  for (const [operation, spec] of Object.entries(options.faults ?? {})) setFaults(operation as EcrOperation, spec);

  const hooks: Array<{ operation: EcrOperation | '*'; hook: EcrCallHook }> = [];
  if (options.beforeOperation) hooks.push({ operation: '*', hook: options.beforeOperation });
  const record = options.recordCalls ?? true;

  let counts = zeroCounts();
  let log: EcrCallRecord[] = [];
  let inFlight = 0;
  let peak = 0;

  const defaultMessage = (operation: EcrOperation, code: string, input: JsonObject): string => {
    switch (code) {
      case 'AccessDeniedException': {
        const name = repositoriesNamed(operation, input)[0];
        const resource = `arn:aws:ecr:${region}:${accountId}:repository/${name ?? '*'}`;
        return (
          `User: arn:aws:sts::${accountId}:assumed-role/ecr-scanner/scan-session is not authorized to perform: ` +
          `ecr:${operation} on resource: ${resource} because no identity-based policy allows the ecr:${operation} action`
        );
      }
      case 'ThrottlingException':
        return 'Rate exceeded';
      case 'ServerException':
        return 'We encountered an internal error. Please try again.';
      default:
        return `${code} injected by the ECR emulator for ${operation}`;
    }
  };

  const toError = (operation: EcrOperation, fault: EcrFault, input: JsonObject): EcrServiceError =>
    new EcrServiceError(
      fault.code,
      fault.message ?? defaultMessage(operation, fault.code, input),
      fault.status ?? defaultStatus(fault.code),
    );

  const injectedFault = (operation: EcrOperation, input: JsonObject, registry: string): EcrFault | undefined => {
    const named = repositoriesNamed(operation, input);
    for (const armed of faults.get(operation) ?? []) {
      const { fault } = armed;
      if (fault.repositories && !named.some((n) => fault.repositories?.includes(n))) continue;
      if (fault.registries && !fault.registries.includes(registry)) continue;
      armed.matched++;
      const after = fault.after ?? 0;
      if (armed.matched <= after) continue;
      if (fault.times !== undefined && armed.matched > after + fault.times) continue;
      return fault;
    }
    return undefined;
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    res.writeHead(status, {
      'Content-Type': JSON_TYPE,
      'Content-Length': bytes.length,
      'x-amzn-RequestId': randomUUID(),
    });
    res.end(bytes);
  };
  const sendError = (res: ServerResponse, error: EcrServiceError): void =>
    send(res, error.status, { __type: error.code, message: error.message });

  /**
   * Refuses what AWS refuses before it looks at the operation (unsigned requests, a wrong credential
   * scope, an expired session); else the registry the request is for.
   */
  const registryOf = (req: IncomingMessage): EcrServiceError | { label: string; store: EcrStore; ctx: ApiContext } => {
    const auth = req.headers.authorization;
    if (!auth) return new EcrServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const scope = signingScope(auth);
    const main = registries.get(`${accountId}/${region}`)!;
    if (!scope) return { label: `${accountId}/${region}`, ...main };
    if (scope.service !== 'ecr') {
      return new EcrServiceError('InvalidSignatureException', `Credential should be scoped to correct service: 'ecr'. `);
    }
    const session = decodeSessionToken(String(req.headers['x-amz-security-token'] ?? ''));
    if (session && session.expiresAt <= Date.now()) {
      return new EcrServiceError('ExpiredTokenException', 'The security token included in the request is expired');
    }
    const account = accountOfAccessKey(scope.accessKeyId) ?? accountId;
    const label = `${account}/${scope.region}`;
    const found = registries.get(label);
    if (found) return { label, ...found };
    if (account === accountId) {
      return new EcrServiceError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${scope.region}'. `);
    }
    // What AWS answers in a region the account has not enabled (an opt-in region).
    return new EcrServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  };

  const handleEcr = async (req: IncomingMessage, res: ServerResponse, target: string): Promise<void> => {
    const body = await readBody(req);
    const reject = (error: EcrServiceError) => {
      counts.rejected++;
      sendError(res, error);
    };
    const registry = registryOf(req);
    if (registry instanceof EcrServiceError) return reject(registry);
    const [prefix, name] = target.split('.');
    if (req.method !== 'POST' || prefix !== TARGET_PREFIX || !name || !isEcrOperation(name)) {
      return reject(new EcrServiceError('UnknownOperationException', `The ECR emulator does not implement ${target}`));
    }
    let input: JsonObject;
    try {
      const parsed: unknown = body.length ? JSON.parse(body.toString('utf8')) : {};
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      input = parsed as JsonObject;
    } catch {
      return reject(new EcrServiceError('SerializationException', 'Request body is not a JSON object'));
    }

    const operation = name;
    const started = performance.now();
    counts[operation]++;
    counts.total++;
    const attemptHeader = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''));
    const call: EcrCallInfo = {
      operation,
      input,
      callNumber: counts[operation],
      attempt: attemptHeader ? Number(attemptHeader[1]) : 1,
      accountId: registry.ctx.accountId,
      region: registry.ctx.region,
    };
    // A call that straddles resetCalls() is counted in the period it started in, and logged in neither.
    const countsAtStart = counts;
    let status = 200;
    let errorCode: string | undefined;
    try {
      const delay = typeof latency === 'function' ? latency(operation) : latency;
      if (delay > 0) await sleep(delay);
      let fault: EcrFault | undefined;
      for (const { operation: op, hook } of [...hooks]) {
        if (op !== '*' && op !== operation) continue;
        fault = (await hook(call)) ?? undefined;
        if (fault) break;
      }
      if (!fault && throttleOf(registry.label)?.shouldThrottle(operation)) {
        countsAtStart.throttled++;
        throw new EcrServiceError('ThrottlingException', 'Rate exceeded');
      }
      fault ??= injectedFault(operation, input, registry.label);
      if (fault) {
        if (fault.code === 'ThrottlingException') countsAtStart.throttled++;
        countsAtStart.faulted++;
        throw toError(operation, fault, input);
      }
      send(res, 200, runOperation(registry.store, registry.ctx, operation, input));
    } catch (err) {
      const error =
        err instanceof EcrServiceError
          ? err
          : new EcrServiceError('ServerException', `ECR emulator failure: ${(err as Error)?.stack ?? String(err)}`, 500);
      status = error.status;
      errorCode = error.code;
      sendError(res, error);
    } finally {
      if (record && countsAtStart === counts) {
        log.push({ ...call, status, ...(errorCode ? { errorCode } : {}), durationMs: performance.now() - started });
      }
    }
  };

  const server = await listenOnLoopback((req, res) => {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      // Counted from arrival to the end of the answer, so overlapping client requests show even with no latency.
      inFlight++;
      peak = Math.max(peak, inFlight);
      res.once('close', () => inFlight--);
      handleEcr(req, res, target).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, new EcrServiceError('ServerException', String(err), 500));
      });
      return;
    }
    if (distribution?.handle(req, res)) return;
    req.resume();
    counts.rejected++;
    sendError(res, new EcrServiceError('UnknownOperationException', 'Missing X-Amz-Target header'));
  });
  const port = Number(new URL(server.endpoint).port);
  if (!ctx.authorization.proxyEndpoint) ctx.authorization.proxyEndpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accountId,
    region,
    get calls() {
      return counts;
    },
    get log() {
      return log;
    },
    get inFlight() {
      return inFlight;
    },
    get maxConcurrent() {
      return peak;
    },
    store,
    storeOf: (account, name) => registries.get(`${account}/${name}`)?.store,
    distribution,
    get pullTimeExclusions() {
      return [...ctx.pullTimeExclusions].sort();
    },
    resetCalls() {
      counts = zeroCounts();
      log = [];
      peak = inFlight;
      for (const list of faults.values()) for (const armed of list) armed.matched = 0;
      throttles = new Map();
    },
    onCall(operation, hook) {
      const entry = { operation, hook };
      hooks.push(entry);
      return () => {
        const i = hooks.indexOf(entry);
        if (i >= 0) hooks.splice(i, 1);
      };
    },
    setFaults,
    setThrottle(next) {
      throttleOptions = next;
      throttles = new Map();
    },
    setAuthorization(next) {
      Object.assign(ctx.authorization, Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)));
    },
    setLatency(next) {
      latency = next;
    },
    setPageSize(operation, size) {
      if (size === undefined) delete ctx.pageSize[operation];
      else ctx.pageSize[operation] = size;
    },
    stop: () => server.stop(),
  };
}
