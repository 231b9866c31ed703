/**
 * docs/construct.md's example is test/cdk/construct-example.ts (type-checked with the rest), and it
 * synthesizes: the scanner stack, with the secret it was given. The bundle is bundle.test.ts's;
 * here the example's bundleScanner hands over a placeholder, so the test stays a stack test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AppProps, StageSynthesisOptions } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { REPO_ROOT, placeholderBundleDir } from './synth';

const EXAMPLE = join(__dirname, 'construct-example.ts');

/** The example's code between its markers, import paths as the docs write them. */
function exampleAsDocumented(): string {
  const source = readFileSync(EXAMPLE, 'utf8');
  const begin = source.indexOf('\n', source.indexOf('// docs/construct.md example begins')) + 1;
  const end = source.indexOf('// docs/construct.md example ends');
  return source.slice(begin, end).replaceAll("'../../", "'./");
}

test('docs/construct.md shows the example as it is in test/cdk/construct-example.ts', () => {
  const blocks = [...readFileSync(join(REPO_ROOT, 'docs', 'construct.md'), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  expect(blocks).toEqual([exampleAsDocumented()]);
});

test('the example synthesizes the scanner stack with the secret it was given', async () => {
  let done: (assembly: CloudAssembly) => void = () => undefined;
  const synthesized = new Promise<CloudAssembly>((resolve) => (done = resolve));
  // The example's App, as it is but without CDK's template validation (nag.test.ts runs it on every
  // variant; it takes seconds to start), and telling this test what it synthesized.
  class ObservedApp extends App {
    constructor(props: AppProps = {}) {
      super({ ...props, builtinCloudFormationValidation: false });
    }
    override synth(options?: StageSynthesisOptions): CloudAssembly {
      const assembly = super.synth(options);
      done(assembly);
      return assembly;
    }
  }
  jest.doMock('aws-cdk-lib', () => ({ ...jest.requireActual<object>('aws-cdk-lib'), App: ObservedApp }));
  jest.doMock('../../scripts/bundle-scanner', () => ({ bundleScanner: async () => ({ dir: placeholderBundleDir() }) }));
  try {
    // Required after the mocks: the example gets ObservedApp; everything else is the one aws-cdk-lib.
    jest.requireActual('./construct-example');
    const assembly = await synthesized;
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['Scanner', 'Shared']);
    expect(JSON.stringify(assembly.getStackByName('Scanner').template)).toContain('secret:ecr-scanner/registry-config-AbCdEf');
  } finally {
    jest.dontMock('aws-cdk-lib');
    jest.dontMock('../../scripts/bundle-scanner');
  }
});
