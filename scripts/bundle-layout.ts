/** The bundle directory's file names: what the bundler writes, the stack ships and scan.sh runs. One place for all three. */
export const BUNDLE_ENTRY = 'cli.js';
export const BUNDLE_SCRIPT = 'scan.sh';
