import { parseIamPrincipalArn } from '../../arn';
import type { ActorRef } from '../../model';

/** "role ops/deployer", "user alice", or the ARN when it names no role or user. */
export function describePrincipalArn(arn: string): string {
  const principal = parseIamPrincipalArn(arn);
  return principal
    ? `${principal.type === 'role' ? 'Role' : principal.type === 'user' ? 'User' : 'Group'} ${principal.name}`
    : arn;
}

/** Who acted, for a finding's reason and evidence: `slack:T1/U1`, `cli:alice`, `system:iam-posture`. */
export function actorText(actor: ActorRef): string {
  if (actor.kind === 'slack') return `slack:${actor.teamId ? `${actor.teamId}/` : ''}${actor.id}`;
  return `${actor.kind}:${actor.name ?? actor.id}`;
}

/** Where the just-in-time rules come from. */
export const JIT_DESIGN_REFERENCES = {
  leastPrivilege:
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege',
  temporaryElevatedAccess:
    'https://docs.aws.amazon.com/singlesignon/latest/userguide/temporary-elevated-access.html',
  breakGlass:
    'https://docs.aws.amazon.com/whitepapers/latest/organizing-your-aws-environment/break-glass-access.html',
  conditionCurrentTime:
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws-dates.html',
} as const;
