/**
 * Injected faults: errors the emulator answers instead of an operation's
 * result, so tests can prove how a client meets AccessDenied, server errors
 * and throttling from a given repository, registry or call onwards, and an
 * endpoint that predates an operation (UnknownOperationException).
 */
import { EcrOperation, EcrServiceError, JsonObject } from './api';
import { TARGET_PREFIX } from './wire';

/** An error to answer instead of the operation's result. */
export interface EcrFault {
  /**
   * `__type` of the answer, e.g. 'AccessDeniedException', 'ServerException', 'ThrottlingException', or
   * 'UnknownOperationException' to answer as an endpoint that predates the operation.
   */
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

export type FaultSpec = EcrFault | EcrFault[] | undefined;

/** A fault with the number of calls it has matched, which `after` and `times` count against. */
interface ArmedFault {
  fault: EcrFault;
  matched: number;
}

function repositoriesNamed(operation: EcrOperation, input: JsonObject): string[] {
  if (operation === 'DescribeRepositories') {
    return Array.isArray(input.repositoryNames) ? input.repositoryNames.filter((n): n is string => typeof n === 'string') : [];
  }
  return typeof input.repositoryName === 'string' ? [input.repositoryName] : [];
}

/** The faults armed per operation; the first that matches a call answers it. */
export class FaultTable {
  private readonly armed = new Map<EcrOperation, ArmedFault[]>();

  constructor(initial: Partial<Record<EcrOperation, FaultSpec>> = {}) {
    for (const [operation, spec] of Object.entries(initial)) this.set(operation as EcrOperation, spec);
  }

  /** Replaces the operation's faults; undefined clears them. */
  set(operation: EcrOperation, spec: FaultSpec): void {
    const list = spec === undefined ? [] : Array.isArray(spec) ? spec : [spec];
    this.armed.set(
      operation,
      list.map((fault) => ({ fault, matched: 0 })),
    );
  }

  /** The fault to answer this call with, if any; every fault the call matches counts it. */
  match(operation: EcrOperation, input: JsonObject, registry: string): EcrFault | undefined {
    const named = repositoriesNamed(operation, input);
    for (const armed of this.armed.get(operation) ?? []) {
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
  }

  /** Restarts `after` and `times` counting, as resetCalls() promises. */
  rewind(): void {
    for (const list of this.armed.values()) for (const armed of list) armed.matched = 0;
  }
}

/** Operations IAM authorizes on no resource type: a registry's settings and the login. */
const REGISTRY_LEVEL: ReadonlySet<EcrOperation> = new Set<EcrOperation>([
  'GetAuthorizationToken',
  'DescribePullThroughCacheRules',
  'CreatePullThroughCacheRule',
  'GetAccountSetting',
  'PutAccountSetting',
]);

function defaultStatus(code: string): number {
  if (code === 'ServerException' || code === 'InternalFailure') return 500;
  if (code === 'ServiceUnavailableException') return 503;
  return 400;
}

/** The message ECR (or IAM, for AccessDenied) would give, so clients that show it are tested on a real one. */
function defaultMessage(operation: EcrOperation, code: string, input: JsonObject, accountId: string, region: string): string {
  switch (code) {
    case 'AccessDeniedException': {
      const name = repositoriesNamed(operation, input)[0];
      // Actions without a resource type (IAM grants them on "*") are named without a resource, as IAM does.
      const resource = REGISTRY_LEVEL.has(operation) ? '' : ` on resource: arn:aws:ecr:${region}:${accountId}:repository/${name ?? '*'}`;
      return (
        `User: arn:aws:sts::${accountId}:assumed-role/ecr-scanner/scan-session is not authorized to perform: ` +
        `ecr:${operation}${resource} because no identity-based policy allows the ecr:${operation} action`
      );
    }
    case 'ThrottlingException':
      return 'Rate exceeded';
    case 'ServerException':
      return 'We encountered an internal error. Please try again.';
    case 'UnknownOperationException':
      return `Unknown operation ${TARGET_PREFIX}.${operation}`;
    default:
      return `${code} injected by the ECR emulator for ${operation}`;
  }
}

/** The error a fault answers with; messages name the emulator's own account and region. */
export function faultError(
  fault: EcrFault,
  operation: EcrOperation,
  input: JsonObject,
  accountId: string,
  region: string,
): EcrServiceError {
  return new EcrServiceError(
    fault.code,
    fault.message ?? defaultMessage(operation, fault.code, input, accountId, region),
    fault.status ?? defaultStatus(fault.code),
  );
}
