/**
 * Hooks a test registers to act between two calls: change the store (an image
 * deleted mid-scan) or answer one particular call with a fault.
 */
import { EcrOperation } from './api';
import { EcrCallInfo } from './call-log';
import { EcrFault } from './faults';

/** Runs before the operation is answered; may change the store, or return a fault to answer with. */
export type EcrCallHook = (call: EcrCallInfo) => void | EcrFault | undefined | Promise<void | EcrFault | undefined>;

interface HookEntry {
  operation: EcrOperation | '*';
  hook: EcrCallHook;
}

export class CallHooks {
  private readonly entries: HookEntry[] = [];

  /** Registers a hook for one operation or all ('*'); returns a function that removes it. */
  add(operation: EcrOperation | '*', hook: EcrCallHook): () => void {
    const entry = { operation, hook };
    this.entries.push(entry);
    return () => {
      const i = this.entries.indexOf(entry);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  /** Runs the call's hooks in order until one returns a fault. */
  async firstFault(call: EcrCallInfo): Promise<EcrFault | undefined> {
    // A copy: a hook may remove itself (or add another) while running.
    for (const { operation, hook } of [...this.entries]) {
      if (operation !== '*' && operation !== call.operation) continue;
      const fault = (await hook(call)) ?? undefined;
      if (fault) return fault;
    }
    return undefined;
  }
}
