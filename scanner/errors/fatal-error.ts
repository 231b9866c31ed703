/**
 * The failures that end a run with exit status 2 (contract: "nothing could be scanned"): bad
 * arguments, an unreadable input file, an unwritable --out, an ECR inventory that cannot be
 * trusted, a failed upload. Each layer throws its own subclass; the run and the CLI catch this
 * base alone, so a new failure of this kind needs no new catch.
 */
export class FatalError extends Error {}
