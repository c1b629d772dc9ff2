import type { RoleSnapshot, SecretSnapshot, Tags, UserSnapshot } from '../model';
import { defineRule, type EvaluationContext, notApplicable, pass, type RuleResult } from '../rule';
import { OWASP } from './support/references';
import { count } from './support/text';

const IAM_TAGGING = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html';
const CFN_STACK_TAGS =
  'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-add-tags.html';

export const identityOwnerMissing = defineRule(
  {
    id: 'identity-owner-missing',
    title: 'Non-human identities have an owner',
    resourceKinds: ['role', 'user', 'secret'],
    severity: 'low',
    description:
      'A role, IAM user or secret with no owner: none of the configured ownership tag keys (default owner, team, contact; matched case-insensitively) has a non-empty value on it, and no configured ARN pattern matches it. Not evaluated: service-linked roles and IAM Identity Center roles (AWS manages them and they cannot be tagged), the root user (owned by whoever owns the account), users with a console password and no active access key (people, not workloads), and identities whose tags or credential report row could not be read (their owner or nature is unknown; a coverage gap says why). The roles this tool deploys are evaluated like any other: tag the deployment (stack tags reach its roles).',
    risk: 'An identity nobody owns is the one offboarding misses: when its workload or team goes away, its credentials and permissions stay, and nobody is asked whether it is still needed. Low on its own; the engine raises it for an administrator-equivalent or escalation-capable identity.',
    remediation: {
      summary:
        'Tag the identity with its owner (for example `owner=team-payments`), or add an ARN pattern for it to the ownership settings; delete it if nobody claims it.',
    },
    compliance: [
      { framework: 'owasp-nhi-2025', control: 'NHI1' },
      { framework: 'nist-csf-2.0', control: 'PR.AA-01' },
      { framework: 'nist-csf-2.0', control: 'GV.RR-02' },
    ],
    references: [OWASP.NHI1, IAM_TAGGING, CFN_STACK_TAGS],
  },
  (identity, ctx) => {
    const skip = notEvaluated(identity);
    if (skip) return notApplicable(skip);
    if (ctx.ownerOf(identity)) return pass;
    // An owner in tags that were not read is unknown: a coverage gap names the read, and the
    // identity is not called orphaned on data the scan does not have.
    if (identity.tagsUnread) return notApplicable('its tags could not be read');
    return orphaned(identity, ctx);
  },
);

/** Why an identity is outside the rule, or undefined when it is evaluated. */
function notEvaluated(identity: RoleSnapshot | UserSnapshot | SecretSnapshot): string | undefined {
  switch (identity.kind) {
    case 'role':
      if (identity.path.startsWith('/aws-service-role/')) return 'service-linked role';
      if (identity.path.startsWith('/aws-reserved/sso.amazonaws.com/'))
        return 'IAM Identity Center role (a person’s permission set)';
      return undefined;
    case 'user': {
      if (identity.isRoot) return 'the root user';
      const credentials = identity.credentials;
      // Without its credential report row the user cannot be told a person or a workload.
      if (!credentials)
        return 'the credential report does not say whether the user is a person or a workload';
      if (credentials.passwordEnabled && !credentials.accessKeys.some((key) => key.active))
        return 'a person’s console user (password, no active access key)';
      return undefined;
    }
    case 'secret':
      return undefined;
  }
}

function orphaned(
  identity: RoleSnapshot | UserSnapshot | SecretSnapshot,
  ctx: EvaluationContext,
): RuleResult {
  const tagKeys = ctx.ownership.tagKeys;
  const emptyTags = presentButEmpty(identity.tags, tagKeys);
  const noun = identity.kind === 'role' ? 'Role' : identity.kind === 'user' ? 'User' : 'Secret';
  const tagsText =
    tagKeys.length > 0 ? `no non-empty tag ${tagKeys.join(', ')}` : 'no ownership tag key configured';
  const patterns = ctx.ownership.patternCount;
  const patternsText =
    patterns === 0
      ? 'no ownership pattern is configured'
      : `no match among ${count(patterns, 'ownership pattern')}`;
  return {
    status: 'fail',
    reason: `${noun} ${identity.name} has no owner: ${tagsText}${emptyTags.length > 0 ? ` (${emptyTags.join(', ')} present but empty)` : ''}, and ${patternsText}.`,
    evidence: {
      tagKeys: [...tagKeys],
      emptyOwnerTags: emptyTags,
      patternsChecked: ctx.ownership.patternCount,
    },
  };
}

/** The tags that would name the owner but hold only whitespace, as written on the resource. */
function presentButEmpty(tags: Tags, tagKeys: readonly string[]): string[] {
  const wanted = new Set(tagKeys.map((key) => key.toLowerCase()));
  return Object.keys(tags)
    .filter((key) => wanted.has(key.toLowerCase()) && tags[key]!.trim() === '')
    .sort();
}
