import { parseIamPrincipalArn } from '../arn';
import type { RoleSnapshot, UserSnapshot } from '../model';
import { parsePolicyDocument } from '../policy/parse';
import { analyzePrincipal } from '../privilege';
import type { PolicyStatementDocument } from './types';

/**
 * How much a grant's statements give on their own, by the same analysis the scan uses for
 * `standing-admin` and `privilege-escalation`. The statements are analysed as the only policy of
 * the principal that would receive them: what the grant adds, not what the principal already has.
 *
 * Conditional results count: a profile whose statements are admin-equivalent under a condition
 * (MFA, a source IP) is admin whenever the condition holds, which is exactly when it is used.
 */
export interface ProfilePrivilege {
  adminEquivalent: boolean;
  canEscalate: boolean;
}

/** Stands for "some role" / "some user" when no principal is named. */
const PLACEHOLDER_ROLE = 'arn:aws:iam::000000000000:role/iam-posture-jit-principal';
const PLACEHOLDER_USER = 'arn:aws:iam::000000000000:user/iam-posture-jit-principal';

/**
 * The privilege of `statements` for each of `principalArns` (roles and users; others are
 * skipped), true when it holds for any of them. Without principals, a placeholder role and user.
 * Throws `PolicyParseError` when the statements are not a valid policy.
 */
export function profilePrivilege(
  statements: readonly PolicyStatementDocument[],
  principalArns: readonly string[] = [PLACEHOLDER_ROLE, PLACEHOLDER_USER],
): ProfilePrivilege {
  const document = parsePolicyDocument({ Version: '2012-10-17', Statement: [...statements] });
  const result: ProfilePrivilege = { adminEquivalent: false, canEscalate: false };
  for (const arn of principalArns) {
    const principal = syntheticPrincipal(arn, document);
    if (!principal) continue;
    const analysis = analyzePrincipal(principal);
    if (analysis.admin.status !== 'none') result.adminEquivalent = true;
    if (analysis.paths.length > 0) result.canEscalate = true;
  }
  return result;
}

function syntheticPrincipal(
  arn: string,
  document: ReturnType<typeof parsePolicyDocument>,
): RoleSnapshot | UserSnapshot | undefined {
  const parsed = parseIamPrincipalArn(arn);
  if (!parsed || parsed.type === 'group') return undefined;
  const common = {
    arn,
    accountId: parsed.account,
    name: parsed.name,
    path: parsed.path,
    tags: {},
    inlinePolicies: [{ name: 'grant', document }],
    managedPolicies: [],
  };
  return parsed.type === 'role'
    ? { kind: 'role', createdAt: new Date(0), ...common }
    : { kind: 'user', isRoot: false, groups: [], ...common };
}

/**
 * A concrete ARN an eligibility glob matches, for analysing a profile before anyone asks: each
 * wildcard becomes a name, and a wildcard account the placeholder account.
 */
export function exampleArnOf(pattern: string): string {
  const parts = pattern.split(':');
  if (parts.length >= 6 && /[*?]/.test(parts[4]!)) parts[4] = '000000000000';
  return parts.join(':').replace(/\*\*|\*|\?/g, (wildcard) => (wildcard === '?' ? 'x' : 'jit-principal'));
}
