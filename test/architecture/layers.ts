/**
 * The layering table: which folder may import which. Data, not a test, so that the
 * architecture test (layering.test.ts) checks the code against it and contributing.test.ts
 * checks CONTRIBUTING.md's table against it; the two cannot drift apart.
 */

/** What each layer may import besides itself. Leaves first; nothing imports upward. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'scanner/errors': [],
  'scanner/concurrency': [],
  'scanner/log': [],
  'scanner/storage': [],
  // text: how names are ordered in the report and the plan, the same on every machine.
  'scanner/text': [],
  // settings: what the stack hands the scanner (the settings file, the member role's name rule).
  'scanner/settings': [],
  'scanner/oci': ['scanner/errors'],
  'scanner/input': ['scanner/oci', 'scanner/errors'],
  'scanner/registry': ['scanner/oci', 'scanner/errors', 'scanner/concurrency'],
  'scanner/ecr': ['scanner/oci', 'scanner/errors', 'scanner/concurrency', 'scanner/storage', 'scanner/text'],
  // scope: the registries a scan reads (one, or accounts x regions), each read with the registry inventory, and joined.
  'scanner/scope': ['scanner/oci', 'scanner/errors', 'scanner/concurrency', 'scanner/ecr', 'scanner/settings'],
  'scanner/source': ['scanner/oci', 'scanner/errors', 'scanner/concurrency', 'scanner/registry', 'scanner/ecr', 'scanner/input'],
  'scanner/match': ['scanner/oci', 'scanner/ecr', 'scanner/source'],
  // report: the report's data (report.json) built from the layers below.
  'scanner/report': [
    'scanner/oci',
    'scanner/errors',
    'scanner/input',
    'scanner/ecr',
    'scanner/source',
    'scanner/match',
    'scanner/scope',
    'scanner/text',
  ],
  // plan: what to copy, decided from the report and the inventory.
  'scanner/plan': ['scanner/oci', 'scanner/errors', 'scanner/ecr', 'scanner/match', 'scanner/report', 'scanner/text'],
  // output: the files a run writes (report and plan rendered), locally and to S3.
  'scanner/output': [
    'scanner/oci',
    'scanner/errors',
    'scanner/report',
    'scanner/plan',
    'scanner/ecr',
    'scanner/match',
    'scanner/storage',
    'scanner/text',
  ],
  'scanner/notify': ['scanner/report', 'scanner/errors'],
  // The application: wiring of the layers above into one run and one command line.
  scanner: [
    'scanner/errors',
    'scanner/concurrency',
    'scanner/log',
    'scanner/storage',
    'scanner/settings',
    'scanner/oci',
    'scanner/input',
    'scanner/registry',
    'scanner/ecr',
    'scanner/scope',
    'scanner/source',
    'scanner/match',
    'scanner/plan',
    'scanner/report',
    'scanner/output',
    'scanner/notify',
    // package.json: its version, for --version (the bundle inlines that one field).
    'package.json',
  ],
  // The ECR emulator is a product part (demo, bench, tests) that speaks OCI data; it knows nothing of the scanner's logic.
  emulator: ['scanner/oci'],
  // The stack checks targetPrefix and registry hosts with the scanner's own rules.
  lib: ['scripts', 'scanner/plan', 'scanner/oci', 'scanner/ecr', 'scanner/storage', 'scanner/settings'],
  bin: ['lib', 'scripts'],
  scripts: [],
  demo: ['scanner', 'scanner/oci', 'emulator'],
  bench: ['scanner', 'scanner/report', 'scanner/output', 'scanner/oci', 'scanner/concurrency', 'scanner/scope', 'emulator', 'scripts'],
  // Not code: read for data only.
  'package.json': [],
  // Tests may use anything; they are not checked, and nothing imports them (shared fixtures live in emulator/).
  test: [],
};
