/** One `ecr[]` entry as a line of text, for the CLI's summary and the SNS message. */
import { ReportEcr } from './report-types';

export function ecrLine(ecr: ReportEcr): string {
  const account = ecr.accountId ?? '(account not known)';
  return ecr.error !== undefined
    ? `ECR ${account} ${ecr.region}: NOT READ (${ecr.errorKind ?? 'failed'}): ${ecr.error}`
    : `ECR ${account} ${ecr.region}: ${ecr.repositories} repositories, ${ecr.images} images`;
}
