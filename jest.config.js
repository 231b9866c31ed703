/** Jest runs the TypeScript sources through esbuild (already a dependency for
 * bundling the scanner); type checking is `tsc --noEmit` in `npm test`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/emulator'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60000,
};
