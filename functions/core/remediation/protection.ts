import picomatch from 'picomatch';
import type { Tags } from '../model';

/** Principals remediation never touches, whatever a finding says. */
export interface ProtectionConfig {
  /** Exact ARNs or globs configured by the operator. */
  protectedArns: readonly string[];
  /** Break-glass identities: emergency access that is unused by design. */
  breakGlassArns: readonly string[];
  /** ARNs (or globs) of iam-posture's own roles. */
  ownArns: readonly string[];
}

export const PROTECTED_TAG_KEY = 'iam-posture:protected';

export interface ProtectionSubject {
  arn: string;
  name: string;
  path?: string;
  tags?: Tags;
}

const CDK_BOOTSTRAP_ROLE = /^cdk-[a-z0-9]+-(deploy|file-publishing|image-publishing|lookup|cfn-exec)-role-/;

/** Returns why the subject is protected, or undefined when remediation may act on it. */
export function protectionReason(subject: ProtectionSubject, config: ProtectionConfig): string | undefined {
  if (subject.path?.startsWith('/aws-service-role/')) return `${subject.name} is a service-linked role`;
  if (subject.name.startsWith('AWSReservedSSO_'))
    return `${subject.name} is an IAM Identity Center (SSO) role`;
  if (subject.name === 'OrganizationAccountAccessRole')
    return `${subject.name} is the Organizations access role`;
  if (CDK_BOOTSTRAP_ROLE.test(subject.name)) return `${subject.name} is a CDK bootstrap role`;
  if (subject.arn.endsWith(':root')) return 'the root user is never remediated automatically';
  const tag = Object.entries(subject.tags ?? {}).find(([k]) => k.toLowerCase() === PROTECTED_TAG_KEY);
  if (tag && tag[1].toLowerCase() === 'true') return `${subject.name} is tagged ${PROTECTED_TAG_KEY}=true`;
  if (matchesAny(subject.arn, config.ownArns)) return `${subject.name} belongs to iam-posture itself`;
  if (matchesAny(subject.arn, config.breakGlassArns))
    return `${subject.name} is a configured break-glass identity`;
  if (matchesAny(subject.arn, config.protectedArns))
    return `${subject.name} is in the configured protected ARNs`;
  return undefined;
}

function matchesAny(arn: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (/[*?[\]{}]/.test(p) ? picomatch.isMatch(arn, p, { dot: true }) : p === arn));
}
