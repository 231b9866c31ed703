#!/usr/bin/env node
/** The scanner's command line: parse arguments, run one scan, print the summary, exit with the contract's status. */
import { createEcrClient, createOrganizationsClient, createS3Client, createSnsClient, createStsClient } from './aws-clients';
import { HELP, parseCliArgs, UsageError, VERSION } from './cli-args';
import { limitHeapGrowth } from './heap';
import { stderrLogger } from './log/progress';
import { loadDockerConfig } from './registry/docker-config';
import { TOPIC_ARN, publishSummary, summaryMessage } from './notify/sns-summary';
import { RegistryEndpoints } from './registry/endpoint';
import { formatS3Location } from './output/upload-s3';
import { ecrLine } from './report/ecr-line';
import { ExitCode, runScan, ScanResult } from './scan';

function summaryText(result: ScanResult): string {
  const r = result.report;
  if (!r) return '';
  const s = r.summary;
  const lines = [`${s.sources} source(s): ${s.present} present, ${s.partial} partial, ${s.absent} absent, ${s.error} error`];
  for (const ecr of r.ecr) lines.push(ecrLine(ecr));
  lines.push(...result.files.map((f) => `wrote ${f}`), ...result.uploaded.map((u) => `uploaded ${u}`));
  return `${lines.join('\n')}\n`;
}

export async function main(argv: readonly string[]): Promise<ExitCode> {
  let options;
  try {
    options = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const logger = stderrLogger(options.quiet);
  const dockerConfig = loadDockerConfig();
  for (const w of dockerConfig.warnings) logger.warn(w);
  let s3: ReturnType<typeof createS3Client> | undefined;
  const result = await runScan({
    inputPaths: options.inputPaths,
    ...(options.inputFormat ? { inputFormat: options.inputFormat } : {}),
    outDir: options.outDir,
    s3Locations: options.s3Locations,
    concurrency: options.concurrency,
    platforms: options.platforms,
    endpoints: new RegistryEndpoints(options.insecureRegistries),
    dockerConfig,
    ecrClientForRegion: (region, kind) =>
      createEcrClient(process.env, {
        region,
        useFipsEndpoint: kind === 'fips' || kind === 'dualstack-fips',
        useDualstackEndpoint: kind === 'dualstack' || kind === 'dualstack-fips',
      }),
    timeoutMs: options.timeoutMs,
    ...(options.cacheLocation ? { cacheLocation: options.cacheLocation } : {}),
    targetPrefix: options.targetPrefix,
    provenance: {
      ...(options.executionId ? { executionId: options.executionId } : {}),
      ...(options.sourceRevision ? { sourceRevision: options.sourceRevision } : {}),
    },
    aws: {
      ecrClientFor: (region, credentials, concurrency) =>
        createEcrClient(process.env, { concurrency, ...(region !== undefined ? { region } : {}), ...(credentials ? { credentials } : {}) }),
      sts: () => createStsClient(options.scope?.regions[0]),
      organizations: () => createOrganizationsClient(),
    },
    ...(options.scope ? { scope: options.scope } : {}),
    s3Client: () => (s3 ??= createS3Client()),
    logger,
  });
  process.stdout.write(summaryText(result));
  if (options.notifyTopicArn) {
    const topicArn = options.notifyTopicArn;
    const message = summaryMessage({
      exitCode: result.exitCode,
      ...(result.report ? { report: result.report } : {}),
      ...(result.message ? { message: result.message } : {}),
      locations: result.exitCode === 2 ? [] : options.s3Locations.map(formatS3Location),
      ...(options.executionId ? { executionId: options.executionId } : {}),
    });
    const sns = createSnsClient(TOPIC_ARN.exec(topicArn)?.[1]);
    const warning = await publishSummary(sns, topicArn, message);
    sns.destroy();
    if (warning) logger.warn(warning);
    else logger.info(`published the summary to ${topicArn}`);
  }
  return result.exitCode;
}

if (require.main === module) {
  // Process policy, so the command sets it and no embedder of the scanner's modules inherits it.
  limitHeapGrowth();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // A person gets a sentence; the stack is there for whoever asks for it.
      const detail = process.env.ECR_SCAN_DEBUG ? ((err as Error).stack ?? String(err)) : ((err as Error).message ?? String(err));
      process.stderr.write(`error: unexpected failure: ${detail}\n(set ECR_SCAN_DEBUG=1 for the stack trace)\n`);
      process.exitCode = 2;
    },
  );
}
