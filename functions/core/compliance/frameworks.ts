import type { Framework } from '../rule';

/**
 * The controls of each framework that the compliance view lists: the identity scope of each
 * framework, not all of it. A control in scope that no rule tests is listed as not covered; a
 * control outside the scope is not listed. Titles are short paraphrases; the framework's own text
 * is the authority.
 */

export interface Control {
  /** The framework's own id: `NHI1`, `1.14`, `IAM.3`, `PR.AA-05`. */
  id: string;
  title: string;
}

export interface FrameworkCatalog {
  id: Framework;
  name: string;
  /** Which part of the framework the view covers, in one sentence. */
  scope: string;
  controls: readonly Control[];
}

const OWASP_NHI: readonly Control[] = [
  { id: 'NHI1', title: 'Improper offboarding: identities and keys left active after their use ended' },
  { id: 'NHI2', title: 'Secret leakage: credentials exposed where they can be read' },
  { id: 'NHI3', title: 'Vulnerable third-party NHI: access granted to outside parties and tools' },
  { id: 'NHI4', title: 'Insecure authentication: weak or deprecated ways of authenticating' },
  { id: 'NHI5', title: 'Overprivileged NHI: more permissions than the workload needs' },
  { id: 'NHI6', title: 'Insecure cloud deployment configurations: loose trust for CI/CD and federation' },
  { id: 'NHI7', title: 'Long-lived secrets: keys and secrets that are not rotated or do not expire' },
  { id: 'NHI8', title: 'Environment isolation: identities shared across production and other stages' },
  { id: 'NHI9', title: 'NHI reuse: one identity used by several applications or workloads' },
  { id: 'NHI10', title: 'Human use of NHI: people signing in with workload identities' },
];

/** Section 1 (Identity and Access Management) of the CIS AWS Foundations Benchmark v3.0.0. */
const CIS_AWS_SECTION_1: readonly Control[] = [
  { id: '1.1', title: 'Account contact details are kept current' },
  { id: '1.2', title: 'Security contact information is registered' },
  { id: '1.3', title: 'Security questions are registered for the account' },
  { id: '1.4', title: 'The root user has no access key' },
  { id: '1.5', title: 'The root user has MFA enabled' },
  { id: '1.6', title: 'The root user has hardware MFA enabled' },
  { id: '1.7', title: 'The root user is not used for administration or daily tasks' },
  { id: '1.8', title: 'The password policy requires at least 14 characters' },
  { id: '1.9', title: 'The password policy prevents password reuse' },
  { id: '1.10', title: 'IAM users with a console password have MFA enabled' },
  { id: '1.11', title: 'No access keys are created at initial setup for users with a console password' },
  { id: '1.12', title: 'Credentials unused for 45 days or more are disabled' },
  { id: '1.13', title: 'Each IAM user has at most one active access key' },
  { id: '1.14', title: 'Access keys are rotated at least every 90 days' },
  { id: '1.15', title: 'IAM users get permissions only through groups' },
  { id: '1.16', title: 'No policy granting full "*:*" administrative privileges is attached' },
  { id: '1.17', title: 'A support role exists to manage incidents with AWS Support' },
  { id: '1.18', title: 'Instances access AWS resources through IAM instance roles' },
  { id: '1.19', title: 'Expired SSL/TLS certificates stored in IAM are removed' },
  { id: '1.20', title: 'IAM Access Analyzer is enabled in every active region' },
  { id: '1.21', title: 'IAM users are managed centrally through federation or AWS Organizations' },
  { id: '1.22', title: 'Access to the AWSCloudShellFullAccess policy is restricted' },
];

/**
 * The Security Hub controls for IAM and Secrets Manager. Some of them (IAM.22, IAM.26, ...) are
 * run for the CIS standards Security Hub hosts rather than for the FSBP standard itself; they are
 * listed because they share the FSBP control ids and are the checks people look up. IAM.20 is left
 * out: Security Hub retired it in April 2024.
 */
const AWS_FSBP_IDENTITY: readonly Control[] = [
  { id: 'IAM.1', title: 'Policies do not allow full "*" administrative privileges' },
  { id: 'IAM.2', title: 'IAM users have no policies attached directly' },
  { id: 'IAM.3', title: 'Access keys of IAM users are rotated at least every 90 days' },
  { id: 'IAM.4', title: 'The root user has no access key' },
  { id: 'IAM.5', title: 'IAM users with a console password have MFA enabled' },
  { id: 'IAM.6', title: 'The root user has hardware MFA enabled' },
  { id: 'IAM.7', title: 'The password policy for IAM users is strong' },
  { id: 'IAM.8', title: 'IAM user credentials unused for 90 days are removed' },
  { id: 'IAM.9', title: 'The root user has MFA enabled' },
  { id: 'IAM.10', title: 'The password policy for IAM users is strong (PCI DSS variant)' },
  { id: 'IAM.11', title: 'The password policy requires an uppercase letter' },
  { id: 'IAM.12', title: 'The password policy requires a lowercase letter' },
  { id: 'IAM.13', title: 'The password policy requires a symbol' },
  { id: 'IAM.14', title: 'The password policy requires a number' },
  { id: 'IAM.15', title: 'The password policy requires at least 14 characters' },
  { id: 'IAM.16', title: 'The password policy prevents password reuse' },
  { id: 'IAM.17', title: 'The password policy expires passwords within 90 days' },
  { id: 'IAM.18', title: 'A support role exists to manage incidents with AWS Support' },
  { id: 'IAM.19', title: 'Every IAM user has MFA enabled' },
  { id: 'IAM.21', title: 'Customer managed policies do not allow every action of a service' },
  { id: 'IAM.22', title: 'IAM user credentials unused for 45 days are removed' },
  { id: 'IAM.23', title: 'IAM Access Analyzer analyzers are tagged' },
  { id: 'IAM.24', title: 'IAM roles are tagged' },
  { id: 'IAM.25', title: 'IAM users are tagged' },
  { id: 'IAM.26', title: 'Expired SSL/TLS certificates managed in IAM are removed' },
  { id: 'IAM.27', title: 'No identity has the AWSCloudShellFullAccess policy attached' },
  { id: 'IAM.28', title: 'An IAM Access Analyzer external access analyzer is enabled' },
  { id: 'SecretsManager.1', title: 'Secrets have automatic rotation enabled' },
  { id: 'SecretsManager.2', title: 'Secrets with automatic rotation rotate successfully' },
  { id: 'SecretsManager.3', title: 'Unused secrets are removed' },
  { id: 'SecretsManager.4', title: 'Secrets are rotated within a set number of days' },
  { id: 'SecretsManager.5', title: 'Secrets are tagged' },
];

/**
 * NIST CSF 2.0: every subcategory of PR.AA (identity management, authentication and access
 * control), and the subcategories outside it that a rule maps to.
 */
const NIST_CSF_IDENTITY: readonly Control[] = [
  {
    id: 'GV.RR-02',
    title:
      'Roles, responsibilities and authorities for cybersecurity risk management are set, known and enforced',
  },
  { id: 'ID.RA-01', title: 'Vulnerabilities in assets are identified, validated and recorded' },
  {
    id: 'PR.AA-01',
    title: 'The organization manages the identities and credentials of users, services and hardware',
  },
  { id: 'PR.AA-02', title: 'Identities are proofed and bound to credentials according to context' },
  { id: 'PR.AA-03', title: 'Users, services and hardware are authenticated' },
  { id: 'PR.AA-04', title: 'Identity assertions are protected, conveyed and verified' },
  {
    id: 'PR.AA-05',
    title:
      'Access permissions are defined in policy, managed, enforced and reviewed, with least privilege and separation of duties',
  },
  { id: 'PR.AA-06', title: 'Physical access to assets is managed, monitored and enforced' },
  { id: 'PR.DS-01', title: 'Data at rest is protected: confidentiality, integrity and availability' },
  {
    id: 'PR.IR-01',
    title: 'Networks and environments are protected from unauthorized logical access and use',
  },
];

export const FRAMEWORK_CATALOGS: Readonly<Record<Framework, FrameworkCatalog>> = {
  'owasp-nhi-2025': {
    id: 'owasp-nhi-2025',
    name: 'OWASP Non-Human Identities Top 10 (2025)',
    scope: 'all ten risks (NHI1..NHI10)',
    controls: OWASP_NHI,
  },
  'cis-aws-3.0': {
    id: 'cis-aws-3.0',
    name: 'CIS Amazon Web Services Foundations Benchmark v3.0.0',
    scope: 'section 1, Identity and Access Management (1.1..1.22); the other sections are out of scope',
    controls: CIS_AWS_SECTION_1,
  },
  'aws-fsbp': {
    id: 'aws-fsbp',
    name: 'AWS Foundational Security Best Practices',
    scope:
      'the Security Hub controls for IAM (IAM.*) and Secrets Manager (SecretsManager.*); controls of other services are out of scope',
    controls: AWS_FSBP_IDENTITY,
  },
  'nist-csf-2.0': {
    id: 'nist-csf-2.0',
    name: 'NIST Cybersecurity Framework 2.0',
    scope:
      'every subcategory of PR.AA (identity management, authentication and access control) and the other subcategories a rule maps to; the rest of the framework is out of scope',
    controls: NIST_CSF_IDENTITY,
  },
};

/** The control of `framework` with this id; undefined when it is not in the catalog. */
export function findControl(framework: Framework, id: string): Control | undefined {
  return FRAMEWORK_CATALOGS[framework].controls.find((control) => control.id === id);
}
