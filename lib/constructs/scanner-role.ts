import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SCANNER_ACTIONS, type ScannerAction } from '../../functions/core/scanner-permissions';

/**
 * Actions whose IAM resource types let the statement name resources, with the resources the
 * collector reads: every user (access key ids), every principal (service last accessed), every
 * secret of the account (resource policies). Every other collector action has no resource type
 * in the Service Authorization Reference, so IAM only accepts `*` for it.
 */
function scopedResources(stack: Stack): Partial<Record<ScannerAction, string[]>> {
  const iamArn = (path: string) => `arn:${stack.partition}:iam::${stack.account}:${path}`;
  return {
    'iam:ListAccessKeys': [iamArn('user/*')],
    'iam:GenerateServiceLastAccessedDetails': [iamArn('role/*'), iamArn('user/*'), iamArn('group/*')],
    'secretsmanager:GetResourcePolicy': [`arn:${stack.partition}:secretsmanager:*:${stack.account}:secret:*`],
  };
}

/** The collector's permissions as policy statements: one per resource scope, actions sorted. */
export function collectorStatements(stack: Stack): iam.PolicyStatement[] {
  const scoped = scopedResources(stack);
  const byScope = new Map<string, { resources: string[]; actions: string[] }>();
  for (const action of SCANNER_ACTIONS) {
    const resources = scoped[action] ?? ['*'];
    const key = JSON.stringify(stack.resolve(resources));
    const group = byScope.get(key) ?? { resources, actions: [] };
    group.actions.push(action);
    byScope.set(key, group);
  }
  return [...byScope.values()].map(
    (group) => new iam.PolicyStatement({ actions: group.actions.sort(), resources: group.resources }),
  );
}

/**
 * The scan function's role. Its `CollectorRead` policy holds exactly the actions of
 * SCANNER_ACTIONS (functions/core/scanner-permissions.ts), the list the collector's calls are
 * tested against: read-only, never `secretsmanager:GetSecretValue`, never an IAM write. Writes
 * to the findings table and the event bus, the log group and the dead-letter queue are granted
 * on those resources alone by the constructs that own them.
 */
export interface ScannerRoleProps {
  /** Who assumes the role. Default: Lambda (the scan function's execution role). */
  assumedBy?: iam.IPrincipal;
  /** A fixed name, for roles other accounts trust or assume by ARN. Default: generated. */
  roleName?: string;
  description?: string;
}

export class ScannerRole extends Construct {
  readonly role: iam.Role;
  readonly collectorPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: ScannerRoleProps = {}) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: props.assumedBy ?? new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        props.description ??
        'iam-posture scanner: reads IAM, credential reports and secret metadata; writes findings',
      ...(props.roleName !== undefined ? { roleName: props.roleName } : {}),
    });
    this.collectorPolicy = new iam.Policy(this, 'CollectorRead', {
      statements: collectorStatements(Stack.of(this)),
    });
    this.collectorPolicy.attachToRole(this.role);
    acknowledgeCollectorWildcards(this.collectorPolicy);
  }
}

/** The written reason for each wildcard resource of the collector's statements. */
function acknowledgeCollectorWildcards(policy: iam.Policy): void {
  const stack = Stack.of(policy);
  const unscoped = SCANNER_ACTIONS.filter((action) => scopedResources(stack)[action] === undefined);
  const acknowledge = (resource: string, reason: string) =>
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
  acknowledge(
    '*',
    `${unscoped.join(', ')} have no resource type in the Service Authorization Reference, so IAM accepts only "*" for them; all are read-only.`,
  );
  for (const kind of ['role', 'user', 'group']) {
    acknowledge(
      `arn:<AWS::Partition>:iam::<AWS::AccountId>:${kind}/*`,
      `The scan reads every ${kind} of this account (access key ids of users, service-last-accessed jobs of principals); their names are not known at deploy time. Read-only actions, this account only.`,
    );
  }
  acknowledge(
    'arn:<AWS::Partition>:secretsmanager:*:<AWS::AccountId>:secret:*',
    'The scan reads the resource policy of every secret of this account in every scanned region (secret-policy-public); it never reads secret values (no GetSecretValue).',
  );
}
