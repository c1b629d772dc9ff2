import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REMEDIATION_ACTIONS } from '../../functions/core/remediation/catalog';
import { FRAMEWORKS, REMEDIATION_ACTION_IDS, type Rule, SEVERITIES } from '../../functions/core/rule';
import { RULES } from '../../functions/core/rules';
import { ThresholdsSchema } from '../../functions/core/settings';

const RULES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../functions/core/rules');
const RESOURCE_KINDS = [
  'role',
  'user',
  'group',
  'access-key',
  'secret',
  'server-certificate',
  'jit-eligibility',
  'break-glass-grant',
  'review-standing',
  'coverage-gap',
];

/** The rule files: every `.ts` file of the rules directory except the catalog itself (helpers live in support/). */
const ruleFiles = readdirSync(RULES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && entry.name !== 'index.ts')
  .map((entry) => basename(entry.name, '.ts'))
  .sort();

function isRule(value: unknown): value is Rule {
  return (
    typeof value === 'object' &&
    value !== null &&
    'meta' in value &&
    'evaluate' in value &&
    typeof (value as Rule).evaluate === 'function'
  );
}

/** Every rule of the catalog with its default severity, in display order. */
const PINNED: readonly [string, string][] = [
  ['role-unused', 'medium'],
  ['standing-admin', 'high'],
  ['privilege-escalation', 'high'],
  ['unused-service-permissions', 'medium'],
  ['password-unused', 'medium'],
  ['user-human-and-machine', 'medium'],
  ['identity-owner-missing', 'low'],
  ['root-access-key', 'critical'],
  ['access-key-unused', 'medium'],
  ['access-key-not-rotated', 'medium'],
  ['user-multiple-active-keys', 'low'],
  ['secret-policy-public', 'critical'],
  ['secret-rotation-disabled', 'medium'],
  ['secret-not-rotated', 'medium'],
  ['secret-unused', 'medium'],
  ['server-certificate-expiring', 'medium'],
  ['trust-wildcard-principal', 'critical'],
  ['trust-external-account-no-external-id', 'high'],
  ['trust-oidc-unscoped', 'high'],
  ['role-trust-reused', 'medium'],
  ['trust-cross-environment', 'high'],
  ['policy-organization-unconfirmed', 'informational'],
  ['jit-grant-lingering', 'high'],
  ['jit-eligibility-unused', 'medium'],
  ['jit-break-glass-used', 'medium'],
  ['review-overdue', 'medium'],
  ['scan-coverage-gap', 'medium'],
];

/**
 * The compliance mappings: DESIGN.md's catalog, with a NIST CSF 2.0 subcategory for every rule.
 * role-unused no longer maps to FSBP IAM.8, which checks IAM users' credentials, not roles.
 */
const COMPLIANCE: Readonly<Record<string, readonly string[]>> = {
  'role-unused': ['owasp-nhi-2025 NHI1', 'nist-csf-2.0 PR.AA-01', 'nist-csf-2.0 PR.AA-05'],
  'access-key-unused': [
    'owasp-nhi-2025 NHI1',
    'owasp-nhi-2025 NHI7',
    'cis-aws-3.0 1.12',
    'aws-fsbp IAM.22',
    'nist-csf-2.0 PR.AA-01',
  ],
  'access-key-not-rotated': [
    'owasp-nhi-2025 NHI7',
    'cis-aws-3.0 1.14',
    'aws-fsbp IAM.3',
    'nist-csf-2.0 PR.AA-01',
  ],
  'user-multiple-active-keys': ['cis-aws-3.0 1.13', 'nist-csf-2.0 PR.AA-01'],
  'password-unused': ['cis-aws-3.0 1.12', 'aws-fsbp IAM.22', 'nist-csf-2.0 PR.AA-01'],
  'user-human-and-machine': ['owasp-nhi-2025 NHI10', 'cis-aws-3.0 1.11', 'nist-csf-2.0 PR.AA-01'],
  'root-access-key': ['cis-aws-3.0 1.4', 'aws-fsbp IAM.4', 'nist-csf-2.0 PR.AA-01', 'nist-csf-2.0 PR.AA-05'],
  'secret-rotation-disabled': ['owasp-nhi-2025 NHI7', 'aws-fsbp SecretsManager.1', 'nist-csf-2.0 PR.AA-01'],
  'secret-not-rotated': [
    'owasp-nhi-2025 NHI7',
    'aws-fsbp SecretsManager.2',
    'aws-fsbp SecretsManager.4',
    'nist-csf-2.0 PR.AA-01',
  ],
  'secret-unused': ['owasp-nhi-2025 NHI1', 'aws-fsbp SecretsManager.3', 'nist-csf-2.0 PR.AA-01'],
  'secret-policy-public': [
    'owasp-nhi-2025 NHI2',
    'owasp-nhi-2025 NHI3',
    'nist-csf-2.0 PR.AA-05',
    'nist-csf-2.0 PR.DS-01',
  ],
  'server-certificate-expiring': ['cis-aws-3.0 1.19', 'aws-fsbp IAM.26', 'nist-csf-2.0 PR.AA-01'],
  'standing-admin': ['owasp-nhi-2025 NHI5', 'cis-aws-3.0 1.16', 'aws-fsbp IAM.1', 'nist-csf-2.0 PR.AA-05'],
  'privilege-escalation': ['owasp-nhi-2025 NHI5', 'nist-csf-2.0 PR.AA-05'],
  'unused-service-permissions': ['owasp-nhi-2025 NHI5', 'nist-csf-2.0 PR.AA-05'],
  'trust-external-account-no-external-id': ['owasp-nhi-2025 NHI3', 'nist-csf-2.0 PR.AA-05'],
  'trust-oidc-unscoped': ['owasp-nhi-2025 NHI6', 'nist-csf-2.0 PR.AA-04', 'nist-csf-2.0 PR.AA-05'],
  'trust-wildcard-principal': ['owasp-nhi-2025 NHI6', 'nist-csf-2.0 PR.AA-05'],
  'policy-organization-unconfirmed': ['nist-csf-2.0 PR.AA-05'],
  'scan-coverage-gap': ['nist-csf-2.0 ID.RA-01'],
  'role-trust-reused': ['owasp-nhi-2025 NHI9', 'nist-csf-2.0 PR.AA-05'],
  'trust-cross-environment': ['owasp-nhi-2025 NHI8', 'nist-csf-2.0 PR.IR-01'],
  'identity-owner-missing': ['owasp-nhi-2025 NHI1', 'nist-csf-2.0 PR.AA-01', 'nist-csf-2.0 GV.RR-02'],
  // Privilege that outlived its approval; PR.AA-05 asks for it to be enforced as defined.
  'jit-grant-lingering': ['owasp-nhi-2025 NHI5', 'nist-csf-2.0 PR.AA-05'],
  // An eligibility nobody uses is an access path to offboard; reviewing entitlements is PR.AA-05.
  'jit-eligibility-unused': ['owasp-nhi-2025 NHI1', 'nist-csf-2.0 PR.AA-05'],
  // Self-approved privilege skips separation of duties: PR.AA-05 asks for it to be reviewed.
  'jit-break-glass-used': ['owasp-nhi-2025 NHI5', 'nist-csf-2.0 PR.AA-05'],
  // An unanswered review is an entitlement nobody reviewed (PR.AA-05) and an owner not acting on
  // their responsibility (GV.RR-02); offboarding is what reviews are for (NHI1).
  'review-overdue': ['owasp-nhi-2025 NHI1', 'nist-csf-2.0 PR.AA-05', 'nist-csf-2.0 GV.RR-02'],
};

/** The remediation action each rule proposes (DESIGN.md's remediation table); others have none. */
const ACTIONS: Readonly<Record<string, string>> = {
  'access-key-unused': 'deactivate-access-key',
  'role-unused': 'quarantine-role',
  'secret-not-rotated': 'rotate-secret',
  'standing-admin': 'detach-managed-policy',
  'unused-service-permissions': 'detach-managed-policy',
};

const sentence = /^[A-Z`"(].*[.)]$/s;

describe('rule catalog', () => {
  const ids = RULES.map((rule) => rule.meta.id);

  it('pins every rule id and its default severity, in display order', () => {
    expect(RULES.map((rule) => [rule.meta.id, rule.meta.severity])).toEqual(PINNED);
  });

  it('has unique ids', () => {
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists every rule file, and only those', () => {
    expect([...ids].sort()).toEqual(ruleFiles);
  });

  it.each(ruleFiles)('%s.ts exports exactly one rule, whose id is the file name', async (file) => {
    const module = (await import(join(RULES_DIR, `${file}.ts`))) as Record<string, unknown>;
    const rules = Object.values(module).filter(isRule);
    expect(rules.map((rule) => rule.meta.id)).toEqual([file]);
    expect(RULES).toContain(rules[0]);
  });

  describe.each(RULES.map((rule) => [rule.meta.id, rule] as const))('%s', (id, rule) => {
    const { meta } = rule;

    it('has a title, description, risk and remediation written as text', () => {
      expect(meta.title.length).toBeGreaterThan(10);
      expect(meta.title).toMatch(/^[A-Z]/);
      expect(meta.title).not.toMatch(/\.$/);
      expect(meta.description).toMatch(sentence);
      expect(meta.risk).toMatch(sentence);
      expect(meta.remediation.summary).toMatch(sentence);
    });

    it('uses a known severity, known resource kinds and a known threshold', () => {
      expect(SEVERITIES).toContain(meta.severity);
      expect(meta.resourceKinds.length).toBeGreaterThan(0);
      for (const kind of meta.resourceKinds) expect(RESOURCE_KINDS).toContain(kind);
      if (meta.threshold !== undefined) expect(Object.keys(ThresholdsSchema.shape)).toContain(meta.threshold);
    });

    it('maps to known frameworks, as DESIGN.md says', () => {
      for (const ref of meta.compliance) {
        expect(Object.keys(FRAMEWORKS)).toContain(ref.framework);
        expect(ref.control).not.toBe('');
      }
      expect(meta.compliance.map((ref) => `${ref.framework} ${ref.control}`)).toEqual(COMPLIANCE[id]);
    });

    it('proposes a known remediation action that applies to it, or none', () => {
      expect(meta.remediation.action).toBe(ACTIONS[id]);
      if (meta.remediation.action) {
        expect(REMEDIATION_ACTION_IDS).toContain(meta.remediation.action);
        const action = REMEDIATION_ACTIONS.find((a) => a.id === meta.remediation.action);
        expect(action?.appliesTo).toContain(id);
      }
    });

    it('cites https references', () => {
      expect(meta.references.length).toBeGreaterThan(0);
      for (const reference of meta.references) expect(new URL(reference).protocol).toBe('https:');
      expect(new Set(meta.references).size).toBe(meta.references.length);
    });
  });

  it('marks the rules about unused identities, credentials and permissions as staleness', () => {
    expect(RULES.filter((rule) => rule.meta.staleness).map((rule) => rule.meta.id)).toEqual([
      'role-unused',
      'unused-service-permissions',
      'password-unused',
      'access-key-unused',
      'secret-unused',
      'jit-eligibility-unused',
    ]);
  });

  it('never makes a coverage gap informational', () => {
    const gap = RULES.find((rule) => rule.meta.id === 'scan-coverage-gap');
    expect(gap).toBeDefined();
    expect(gap!.meta.severity).not.toBe('informational');
  });
});
