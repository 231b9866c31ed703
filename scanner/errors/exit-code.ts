/** The command line's exit status, as the contract defines it: 0 all compared, 1 some sources are errors, 2 nothing scanned or upload failed. */
export type ExitCode = 0 | 1 | 2;
