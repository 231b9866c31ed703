import { Token } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_ENTRY, BUNDLE_SCRIPT } from '../scripts/bundle-layout';
import { SCAN_SETTINGS_FILE } from './scan-settings';

/** Name of the scanner artifact; the build sees it as CODEBUILD_SRC_DIR_Scanner. */
export const SCANNER_ARTIFACT_NAME = 'Scanner';
/** Files the bundle directory must hold. */
export const SCANNER_BUNDLE_FILES = [BUNDLE_ENTRY, BUNDLE_SCRIPT] as const;
/** Copied from the bundle directory when present. */
const OPTIONAL_BUNDLE_FILES = [`${BUNDLE_ENTRY}.map`] as const;

export interface ScannerArtifactProps {
  /**
   * Directory with the bundled scanner (`cli.js`, its source map) and `scan.sh`,
   * as `scripts/bundle-scanner.ts` writes it. No default: bin/app.ts bundles at
   * synth time, tests pass a prebuilt directory.
   */
  readonly bundleDir: string;
  /**
   * The settings file's text (`scanSettingsFile` in lib/scan-settings.ts), shipped
   * as `settings.env` next to scan.sh. Synth-time values only. No default.
   */
  readonly settings: string;
}

/**
 * Ships the scanner and its settings to the Scan stage as a second Source-stage
 * action that reads a file asset from the CDK bootstrap bucket (versioned, as the S3
 * source needs). The build then finds it as a secondary input, unpacked:
 * - the build role reads nothing but the pipeline's artifact bucket, which it reads
 *   for the input anyway; only the pipeline's own Scanner action role touches the
 *   bootstrap bucket (CDK's read grant on the asset object, and List on the bucket);
 * - the buildspec downloads and unzips nothing (and needs no AWS CLI or unzip);
 * - the asset's key is its content's hash, so a new scanner or a changed setting
 *   changes the pipeline resource, and a deploy re-runs it;
 * - each execution records the scanner's object version next to the input's revision.
 * The action does not poll and starts nothing.
 */
export class ScannerArtifact extends Construct {
  readonly asset: s3assets.Asset;
  readonly artifact = new codepipeline.Artifact(SCANNER_ARTIFACT_NAME);
  readonly action: actions.S3SourceAction;
  /** The action's role: the one principal that reads the asset from the bootstrap bucket. */
  readonly role: iam.Role;
  /** The settings file as shipped. */
  readonly settings: string;

  constructor(scope: Construct, id: string, props: ScannerArtifactProps) {
    super(scope, id);
    const missing = SCANNER_BUNDLE_FILES.filter((f) => !existsSync(join(props.bundleDir, f)));
    if (missing.length > 0) {
      throw new Error(`scanner bundle ${props.bundleDir} lacks ${missing.join(', ')}: run npx tsx scripts/bundle-scanner.ts`);
    }
    if (Token.isUnresolved(props.settings)) {
      throw new Error('ScannerArtifact settings hold a deploy-time value; the file is written at synth time');
    }
    this.settings = props.settings;
    this.asset = new s3assets.Asset(this, 'Bundle', { path: stageArtifact(props.bundleDir, props.settings) });
    this.role = new iam.Role(this, 'ActionRole', { assumedBy: new iam.AccountRootPrincipal() });
    this.action = new actions.S3SourceAction({
      role: this.role,
      actionName: 'Scanner',
      bucket: this.asset.bucket,
      bucketKey: this.asset.s3ObjectKey,
      output: this.artifact,
      trigger: actions.S3Trigger.NONE,
    });
  }
}

/** A new directory with the bundle's files and the settings file: the artifact's content. */
function stageArtifact(bundleDir: string, settings: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'scanner-artifact-'));
  for (const name of [...SCANNER_BUNDLE_FILES, ...OPTIONAL_BUNDLE_FILES]) {
    if (existsSync(join(bundleDir, name))) copyFileSync(join(bundleDir, name), join(dir, name));
  }
  writeFileSync(join(dir, SCAN_SETTINGS_FILE), settings);
  return dir;
}
