/**
 * The run's summary as an SNS message (`--notify-topic-arn`): what the pipeline's
 * subscribers read without opening the report. A failed run (exit 2) says why.
 * Publishing is best effort: a failure to publish is a warning, never a new exit status.
 */
import { ecrLine } from '../report/ecr-line';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ExitCode } from '../errors/exit-code';
import { Report } from '../report/report-types';

export interface RunOutcome {
  exitCode: ExitCode;
  report?: Report;
  /** Why the run failed, for exit status 2. */
  message?: string;
  /** Where the report went: the upload locations, the run's own first. */
  locations: readonly string[];
  executionId?: string;
}

export interface SummaryMessage {
  subject: string;
  body: string;
}

/** `arn:aws:sns:<region>:<account>:<name>`; the region is the topic's, not the scan's. */
export const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}$/;

// SNS takes a subject of at most 100 printable ASCII characters on one line.
function subjectLine(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

export function summaryMessage(outcome: RunOutcome): SummaryMessage {
  const lines: string[] = [];
  const r = outcome.report;
  const run = outcome.executionId ? ` (execution ${outcome.executionId})` : '';
  if (outcome.exitCode === 2 || !r) {
    lines.push(`The ECR duplicate scan failed${run}: nothing new was uploaded.`, '', `Why: ${outcome.message ?? 'unknown'}`);
    if (r) lines.push('', 'The report was written locally but its upload failed.');
    return { subject: subjectLine(`ECR duplicate scan FAILED: ${outcome.message ?? 'see the build log'}`), body: `${lines.join('\n')}\n` };
  }
  const s = r.summary;
  const toMigrate = s.absent + s.partial;
  const duplicates = r.ecrDuplicates?.length;
  lines.push(
    `ECR duplicate scan${run}: ${s.sources} source(s) compared with ECR.`,
    '',
    `  present (already in ECR): ${s.present}`,
    `  partial (some platforms missing): ${s.partial}`,
    `  absent (to migrate): ${s.absent}`,
    `  error (could not compare): ${s.error}`,
    `  to migrate in all (absent + partial): ${toMigrate}`,
  );
  if (duplicates !== undefined) lines.push(`  image IDs held more than once inside ECR: ${duplicates}`);
  for (const ecr of r.ecr) lines.push(`  ${ecrLine(ecr)}`);
  if (s.error > 0) lines.push('', 'Some sources could not be compared (the run counts as failed); report.json names each line and reason.');
  if (outcome.locations.length > 0) lines.push('', 'Report:', ...outcome.locations.map((l) => `  ${l}`));
  const verdict = s.error > 0 ? `${s.error} error(s), ` : '';
  return {
    subject: subjectLine(`ECR duplicate scan: ${verdict}${toMigrate} to migrate, ${s.present} present of ${s.sources}`),
    body: `${lines.join('\n')}\n`,
  };
}

/** Publishes the summary; returns a warning instead of throwing, since the scan's status must not change. */
export async function publishSummary(client: SNSClient, topicArn: string, message: SummaryMessage): Promise<string | undefined> {
  try {
    await client.send(new PublishCommand({ TopicArn: topicArn, Subject: message.subject, Message: message.body }));
    return undefined;
  } catch (err) {
    const name = (err as { name?: string }).name ?? 'Error';
    return `could not publish the summary to ${topicArn}: ${name}: ${(err as Error).message}`;
  }
}
