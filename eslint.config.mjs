// Lint: typescript-eslint's recommended rules on every TypeScript file; formatting is Prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // A function longer than a screen does more than one thing; split it into named steps.
    files: ['scanner/**/*.ts', 'lib/**/*.ts', 'bin/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: false, skipComments: false }] },
  },
  {
    // CDK assertions read synthesized CloudFormation, which is untyped JSON by nature.
    files: ['test/cdk/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
