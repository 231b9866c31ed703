import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_ENTRY, BUNDLE_SCRIPT } from '../scripts/bundle-layout';

/** Name of the scanner artifact; the build sees it as CODEBUILD_SRC_DIR_Scanner. */
export const SCANNER_ARTIFACT_NAME = 'Scanner';
/** Files the bundle directory must hold. */
export const SCANNER_BUNDLE_FILES = [BUNDLE_ENTRY, BUNDLE_SCRIPT] as const;

export interface ScannerArtifactProps {
  /**
   * Directory with the bundled scanner (`cli.js`, its source map) and `scan.sh`,
   * as `scripts/bundle-scanner.ts` writes it. No default: bin/app.ts bundles at
   * synth time, tests pass a prebuilt directory.
   */
  readonly bundleDir: string;
}

/**
 * Ships the scanner to the Scan stage as a second Source-stage action that reads
 * the bundle's file asset from the CDK bootstrap bucket (versioned, as the S3
 * source needs). The build then finds it as a secondary input, unpacked:
 * - the build role reads nothing but the pipeline's artifact bucket, which it reads
 *   for the input anyway; only the pipeline's own Scanner action role touches the
 *   bootstrap bucket (CDK's read grant on the asset object, and List on the bucket);
 * - the buildspec downloads and unzips nothing (and needs no AWS CLI or unzip);
 * - each execution records the scanner's object version next to the input's revision.
 * The action does not poll and starts nothing: a new bundle reaches the pipeline
 * through a deploy, which restarts it.
 */
export class ScannerArtifact extends Construct {
  readonly asset: s3assets.Asset;
  readonly artifact = new codepipeline.Artifact(SCANNER_ARTIFACT_NAME);
  readonly action: actions.S3SourceAction;

  constructor(scope: Construct, id: string, props: ScannerArtifactProps) {
    super(scope, id);
    const missing = SCANNER_BUNDLE_FILES.filter((f) => !existsSync(join(props.bundleDir, f)));
    if (missing.length > 0) {
      throw new Error(`scanner bundle ${props.bundleDir} lacks ${missing.join(', ')}: run npx tsx scripts/bundle-scanner.ts`);
    }
    this.asset = new s3assets.Asset(this, 'Bundle', { path: props.bundleDir });
    this.action = new actions.S3SourceAction({
      actionName: 'Scanner',
      bucket: this.asset.bucket,
      bucketKey: this.asset.s3ObjectKey,
      output: this.artifact,
      trigger: actions.S3Trigger.NONE,
    });
  }
}
