/**
 * Runs one scan in-process (the same runScan the CLI calls) against test
 * servers, and checks the report invariants every scan must keep.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { PlatformFilter } from '../../scanner/oci/platform';
import { Logger } from '../../scanner/log/progress';
import { CacheLocation } from '../../scanner/ecr/cache-store';
import { parseInput } from './parse-input';
import { DockerConfig } from '../../scanner/registry/docker-config';
import { EcrClientFactory } from '../../scanner/registry/ecr-login';
import { RegistryEndpoints } from '../../scanner/registry/endpoint';
import { RetryPolicy } from '../../scanner/registry/http';
import { Report } from '../../scanner/report/report-types';
import { parseS3Uri } from '../../scanner/output/upload-s3';
import { runScan, ScanResult } from '../../scanner/scan';
import { AwsClients } from '../../scanner/registries-scan';
import { ScopeRequest } from '../../scanner/scope/scope';
import { FAKE_AWS_KEYS } from './run-cli';

export const FAST_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 3000 };

export interface HarnessOptions {
  input: string | Buffer;
  ecrEndpoint: string;
  s3Endpoint?: string;
  s3Uris?: string[];
  dockerConfig?: Pick<DockerConfig, 'lookup' | 'namesHost'>;
  ecrClientForRegion?: EcrClientFactory;
  timeoutMs?: number;
  concurrency?: number;
  platforms?: string[];
  cacheLocation?: CacheLocation;
  ecrMaxAttempts?: number;
  /** The registries to read (`--region`, `--account`…); default the credentials' own registry. */
  scope?: ScopeRequest;
  /** The STS emulator, for a scope that asks STS; without it such a scan fails the test. */
  stsEndpoint?: string;
}

export interface HarnessRun extends ScanResult {
  stderr: string;
  outDir: string;
  /** The files as written, by name. */
  written: Record<string, string>;
}

export function ecrClientFor(
  endpoint: string,
  maxAttempts = 10,
  region = 'us-east-1',
  credentials: AwsCredentialIdentityProvider | typeof FAKE_AWS_KEYS = FAKE_AWS_KEYS,
): ECRClient {
  return new ECRClient({ endpoint, region, credentials, retryMode: 'standard', maxAttempts });
}

/** The scan's AWS clients against the emulators: ECR always, STS when given, Organizations never. */
function awsClients(options: HarnessOptions, made: Array<{ destroy(): void }>): AwsClients {
  return {
    ecrClientFor: (region, credentials) => ecrClientFor(options.ecrEndpoint, options.ecrMaxAttempts, region, credentials),
    sts: () => {
      if (!options.stsEndpoint) throw new Error('this scan asked STS, and the harness was given no STS endpoint');
      const sts = new STSClient({ endpoint: options.stsEndpoint, region: 'us-east-1', credentials: FAKE_AWS_KEYS, maxAttempts: 1 });
      made.push(sts);
      return sts;
    },
    organizations: () => {
      throw new Error('the harness has no Organizations endpoint');
    },
  };
}

export async function scanOnce(options: HarnessOptions): Promise<HarnessRun> {
  const dir = await mkdtemp(join(tmpdir(), 'scan-harness-'));
  const lines: string[] = [];
  const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) };
  const made: Array<{ destroy(): void }> = [];
  const s3 = options.s3Endpoint
    ? new S3Client({ endpoint: options.s3Endpoint, region: 'us-east-1', credentials: FAKE_AWS_KEYS, forcePathStyle: true, maxAttempts: 3 })
    : undefined;
  try {
    const inputPath = join(dir, 'input.txt');
    await writeFile(inputPath, options.input);
    const outDir = join(dir, 'out');
    const result = await runScan({
      inputPaths: [inputPath],
      outDir,
      s3Locations: (options.s3Uris ?? []).map(parseS3Uri),
      concurrency: options.concurrency ?? 4,
      platforms: new PlatformFilter(options.platforms ?? []),
      endpoints: new RegistryEndpoints(),
      dockerConfig: options.dockerConfig ?? { lookup: async () => undefined, namesHost: () => false },
      ...(options.ecrClientForRegion ? { ecrClientForRegion: options.ecrClientForRegion } : {}),
      timeoutMs: options.timeoutMs ?? 5000,
      registryRetry: FAST_RETRY,
      aws: awsClients(options, made),
      ...(options.scope ? { scope: options.scope } : {}),
      s3Client: () => {
        if (!s3) throw new Error('no S3 endpoint given to the harness');
        return s3;
      },
      ...(options.cacheLocation ? { cacheLocation: options.cacheLocation } : {}),
      logger,
    });
    const written: Record<string, string> = {};
    for (const path of result.files) written[path.slice(outDir.length + 1)] = await readFile(path, 'utf8');
    return { ...result, stderr: lines.join('\n'), outDir, written };
  } finally {
    for (const client of made) client.destroy();
    s3?.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The report with the harness's input file (a fresh temporary path each run)
 * named input.txt in every origin, so two runs over the same input compare equal.
 */
export function withInputNamedPlainly(report: Report): Report {
  return {
    ...report,
    sources: report.sources.map((s) => (s.origins ? { ...s, origins: s.origins.map((o) => ({ ...o, file: 'input.txt' })) } : s)),
  };
}

/**
 * The invariants every scan keeps: every non-comment line is accounted for exactly
 * once; every entry has a status; the summary counts equal the entries.
 */
export function expectReportInvariants(report: Report, input: string | Buffer): void {
  const { entries } = parseInput(Buffer.isBuffer(input) ? input : Buffer.from(input));
  const expectedLines = entries.flatMap((e) => (e.kind === 'reference' ? [e.line, ...e.duplicateLines] : [e.line])).sort((a, b) => a - b);
  const reportedLines = report.sources.flatMap((s) => [s.line, ...(s.duplicateLines ?? [])]).sort((a, b) => a - b);
  expect(reportedLines).toEqual(expectedLines);
  expect(new Set(reportedLines).size).toBe(reportedLines.length);
  const counts = { present: 0, partial: 0, absent: 0, error: 0 };
  for (const s of report.sources) {
    expect(['present', 'partial', 'absent', 'error']).toContain(s.status);
    counts[s.status]++;
    if (s.status === 'error') expect(typeof s.error).toBe('string');
  }
  expect(report.summary).toEqual({ sources: report.sources.length, ...counts });
}
