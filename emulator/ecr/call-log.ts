/**
 * What the emulator tells a test about the calls it answered: counts per
 * operation and outcome, an optional record of every call, and how many
 * requests were in flight at once. Tests assert on these to prove a client's
 * paging, retries and concurrency, so a call is counted exactly once, in the
 * period (start or resetCalls() to the next) it started in.
 */
import { EcrOperation, JsonObject } from './api';

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
  DescribePullThroughCacheRules: number;
  CreatePullThroughCacheRule: number;
  GetAccountSetting: number;
  PutAccountSetting: number;
  /** All operation calls, including throttled and faulted ones. */
  total: number;
  throttled: number;
  /** Answered with an injected fault (options.faults, setFaults or a hook). */
  faulted: number;
  /** Refused before reaching an operation: no Authorization, unknown target, bad JSON. */
  rejected: number;
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
  DescribePullThroughCacheRules: 0,
  CreatePullThroughCacheRule: 0,
  GetAccountSetting: 0,
  PutAccountSetting: 0,
  total: 0,
  throttled: 0,
  faulted: 0,
  rejected: 0,
});

/** One call's place in the counting period it started in; its outcome is counted there even after resetCalls(). */
export interface CallTally {
  readonly callNumber: number;
  readonly counts: EcrCallCounts;
  readonly startedMs: number;
}

export class CallLog {
  private period = zeroCounts();
  private records: EcrCallRecord[] = [];
  private inFlightNow = 0;
  private peak = 0;

  /** `keepRecords` false spares the bench a record per call (hundreds of thousands of them). */
  constructor(private readonly keepRecords: boolean) {}

  get counts(): EcrCallCounts {
    return this.period;
  }

  get log(): readonly EcrCallRecord[] {
    return this.records;
  }

  get inFlight(): number {
    return this.inFlightNow;
  }

  get maxConcurrent(): number {
    return this.peak;
  }

  /**
   * A request has arrived; call the returned function when its answer is done. Counted from arrival
   * to the end of the answer, so overlapping client requests show even with no latency.
   */
  enter(): () => void {
    this.inFlightNow++;
    this.peak = Math.max(this.peak, this.inFlightNow);
    return () => {
      this.inFlightNow--;
    };
  }

  /** A request refused before it reached an operation. */
  rejected(): void {
    this.period.rejected++;
  }

  begin(operation: EcrOperation): CallTally {
    this.period[operation]++;
    this.period.total++;
    return { callNumber: this.period[operation], counts: this.period, startedMs: performance.now() };
  }

  /** Records the answered call, unless it straddled resetCalls(): then it is logged in neither period. */
  finish(call: EcrCallInfo, tally: CallTally, status: number, errorCode: string | undefined): void {
    if (!this.keepRecords || tally.counts !== this.period) return;
    this.records.push({ ...call, status, ...(errorCode ? { errorCode } : {}), durationMs: performance.now() - tally.startedMs });
  }

  /** Starts a new period; the peak starts from what is in flight now. */
  reset(): void {
    this.period = zeroCounts();
    this.records = [];
    this.peak = this.inFlightNow;
  }
}
