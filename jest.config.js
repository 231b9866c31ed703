/** Jest runs the TypeScript sources through esbuild (already a dependency for
 * bundling the scanner); type checking is `tsc --noEmit` in `npm test`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
  // report.json and plan.json written by in-process scans are checked against docs/schemas (child processes: run-cli.ts).
  setupFiles: ['<rootDir>/test/support/output-schemas.cjs'],
};
