import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/**
 * The event bus findings events go to (`FindingOpened`, `FindingResolved`, `ScanCompleted`,
 * and the remediation events), source `iam-posture`. A bus of its own keeps these events, which
 * describe the account's weak identities, off the default bus every service writes to, and lets
 * consumers subscribe with rules on this bus only. Events are encrypted at rest with an
 * AWS-owned key; they live on the bus only until delivered.
 */
export class FindingsEventBus extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      description: 'iam-posture findings and remediation events',
    });
  }
}
