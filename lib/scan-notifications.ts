import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface ScanNotificationsProps {
  /** Address subscribed to the topic; SNS mails it a confirmation link first. No default. */
  readonly email: string;
}

/**
 * The topic each run's summary goes to. The build publishes it itself (the scanner's
 * --notify-topic-arn), so that the message carries the counts and, for a failed run,
 * the reason. Encrypted with the AWS-managed SNS key, which needs no key policy and
 * costs nothing; it also means EventBridge cannot publish here (it would need a
 * customer-managed key), so failures before the scanner starts show in the console only.
 */
export class ScanNotifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: ScanNotificationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'ECR duplicate scan',
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      // Adds the topic policy that denies every request not made over TLS (aws:SecureTransport).
      enforceSSL: true,
    });
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}
