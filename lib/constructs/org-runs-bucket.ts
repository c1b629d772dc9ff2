import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { privateBucket } from './private-bucket';

/** Prefix of everything a run writes: `runs/<runId>/accounts.json`, checkpoints, outcomes, `run.json`. */
export const RUNS_PREFIX = 'runs/';
/** Prefix of the Distributed Map's result files (one manifest and result set per Map Run). */
export const MAP_RESULTS_PREFIX = 'map-results';

export interface OrgRunsBucketProps {
  /** The stack's data key: checkpoints hold pieces of member accounts' IAM exports. */
  encryptionKey: kms.IKey;
  /** Objects of a run are deleted this many days after they were written. */
  expireAfterDays: number;
}

/**
 * The bucket of organization runs: the account list the Distributed Map reads, per-account
 * checkpoints of large scans, per-account outcomes and the run record. Encrypted with the
 * stack's key, private, TLS only; a run's objects expire after the configured days (the run's
 * summary lives on in the findings table).
 */
export class OrgRunsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: OrgRunsBucketProps) {
    super(scope, id);
    this.bucket = privateBucket(this, 'Bucket', {
      encryptionKey: props.encryptionKey,
      lifecycleRules: [
        { id: 'ExpireRuns', prefix: RUNS_PREFIX, expiration: Duration.days(props.expireAfterDays) },
        {
          id: 'ExpireMapResults',
          prefix: `${MAP_RESULTS_PREFIX}/`,
          expiration: Duration.days(props.expireAfterDays),
        },
      ],
      noAccessLogsReason:
        'Only this stack writes here (its org scan functions and state machine, by their roles); the objects are working data of runs that expire, and the run summaries are in the findings table. An access-log bucket would hold more than the bucket it logs; CloudTrail S3 data events can be enabled where an audit needs them.',
    });
  }
}
