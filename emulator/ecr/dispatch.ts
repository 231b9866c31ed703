/**
 * One request's way through the emulator: which API it is for, which
 * registry, then latency, hooks, throttling and injected faults in the order
 * real ECR's failures would meet a client, and at last the operation itself.
 * Every step's state lives in the parts handed in, which the emulator's
 * setters change between calls.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { EcrOperation, EcrServiceError, runOperation } from './api';
import { CallLog, CallTally, EcrCallInfo } from './call-log';
import { DistributionRegistry } from './distribution';
import { faultError, FaultTable } from './faults';
import { CallHooks } from './hooks';
import { Registries, ServedRegistry } from './registries';
import { registryOfRequest } from './signing';
import { RegistryThrottles } from './throttle';
import { attemptOf, parseOperation, readBody, sendError, sendJson } from './wire';

/** Added before each answer; a function can vary it by operation. */
export type Latency = number | ((operation: EcrOperation) => number);

export interface DispatchParts {
  registries: Registries;
  calls: CallLog;
  hooks: CallHooks;
  throttles: RegistryThrottles;
  faults: FaultTable;
  distribution: DistributionRegistry | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What an unexpected failure inside the emulator answers with, so a test sees it rather than a hung request. */
function asServiceError(err: unknown): EcrServiceError {
  return err instanceof EcrServiceError
    ? err
    : new EcrServiceError('ServerException', `ECR emulator failure: ${(err as Error)?.stack ?? String(err)}`, 500);
}

export class EcrDispatcher {
  constructor(
    private readonly parts: DispatchParts,
    public latency: Latency,
  ) {}

  /** Every request: an ECR operation (it names one in X-Amz-Target), else the distribution API, else refused. */
  route(req: IncomingMessage, res: ServerResponse): void {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      res.once('close', this.parts.calls.enter());
      this.handleOperation(req, res, target).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, new EcrServiceError('ServerException', String(err), 500));
      });
      return;
    }
    if (this.parts.distribution?.handle(req, res)) return;
    req.resume();
    this.reject(res, new EcrServiceError('UnknownOperationException', 'Missing X-Amz-Target header'));
  }

  private reject(res: ServerResponse, error: EcrServiceError): void {
    this.parts.calls.rejected();
    sendError(res, error);
  }

  private async handleOperation(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    const body = await readBody(req);
    const registry = registryOfRequest(req, this.parts.registries);
    if (registry instanceof EcrServiceError) return this.reject(res, registry);
    const parsed = parseOperation(req.method, target, body);
    if (parsed instanceof EcrServiceError) return this.reject(res, parsed);

    const { operation, input } = parsed;
    const tally = this.parts.calls.begin(operation);
    const call: EcrCallInfo = {
      operation,
      input,
      callNumber: tally.callNumber,
      attempt: attemptOf(req),
      accountId: registry.ctx.accountId,
      region: registry.ctx.region,
    };
    let status = 200;
    let errorCode: string | undefined;
    try {
      sendJson(res, 200, await this.answer(call, registry, tally));
    } catch (err) {
      const error = asServiceError(err);
      status = error.status;
      errorCode = error.code;
      sendError(res, error);
    } finally {
      this.parts.calls.finish(call, tally, status, errorCode);
    }
  }

  /** The operation's result, after latency, unless a hook's fault, the registry's throttle or an injected fault answers first. */
  private async answer(call: EcrCallInfo, registry: ServedRegistry, tally: CallTally): Promise<unknown> {
    const { hooks, throttles, faults, registries } = this.parts;
    const delay = typeof this.latency === 'function' ? this.latency(call.operation) : this.latency;
    if (delay > 0) await sleep(delay);
    let fault = await hooks.firstFault(call);
    if (!fault && throttles.of(registry.label)?.shouldThrottle(call.operation)) {
      tally.counts.throttled++;
      throw new EcrServiceError('ThrottlingException', 'Rate exceeded');
    }
    fault ??= faults.match(call.operation, call.input, registry.label);
    if (fault) {
      if (fault.code === 'ThrottlingException') tally.counts.throttled++;
      tally.counts.faulted++;
      const { accountId, region } = registries.main.ctx;
      throw faultError(fault, call.operation, call.input, accountId, region);
    }
    return runOperation(registry, registry.ctx, call.operation, call.input);
  }
}
