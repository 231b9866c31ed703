/**
 * Progress and warnings on stderr, one self-contained line each, so they read
 * well in CodeBuild logs (no carriage returns, no colours) and never mix with
 * the summary on stdout.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export function stderrLogger(quiet = false): Logger {
  return {
    info: (message) => {
      if (!quiet) process.stderr.write(`${message}\n`);
    },
    warn: (message) => process.stderr.write(`warning: ${message}\n`),
  };
}

/** Prints a phase's progress at most every `intervalMs`, and always its final state. */
export class PhaseProgress {
  private lastPrinted = 0;
  private finished = false;

  constructor(
    private readonly logger: Logger,
    private readonly phase: string,
    private readonly startedAt: number,
    private readonly intervalMs = 2000,
  ) {}

  update(text: string, final = false): void {
    const now = Date.now();
    if (this.finished || (!final && now - this.lastPrinted < this.intervalMs)) return;
    this.finished = final;
    this.lastPrinted = now;
    this.logger.info(`[${((now - this.startedAt) / 1000).toFixed(1)}s] ${this.phase}: ${text}${final ? ' (done)' : ''}`);
  }
}
