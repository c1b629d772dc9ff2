/** Reference pages cited by rule metadata. */

const OWASP_NHI = 'https://owasp.org/www-project-non-human-identities-top-10/2025';

export const OWASP = {
  NHI1: `${OWASP_NHI}/1-improper-offboarding/`,
  NHI2: `${OWASP_NHI}/2-secret-leakage/`,
  NHI3: `${OWASP_NHI}/3-vulnerable-third-party-nhi/`,
  NHI5: `${OWASP_NHI}/5-overprivileged-nhi/`,
  NHI6: `${OWASP_NHI}/6-insecure-cloud-deployment-configurations/`,
  NHI7: `${OWASP_NHI}/7-long-lived-secrets/`,
  NHI8: `${OWASP_NHI}/8-environment-isolation/`,
  NHI9: `${OWASP_NHI}/9-nhi-reuse/`,
  NHI10: `${OWASP_NHI}/10-human-use-of-nhi/`,
} as const;

export const CIS_AWS_BENCHMARK = 'https://www.cisecurity.org/benchmark/amazon_web_services';

/** AWS Security Hub (Foundational Security Best Practices) control pages. */
export const FSBP = {
  iam: (control: string) =>
    `https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-${control}`,
  secretsManager: (control: string) =>
    `https://docs.aws.amazon.com/securityhub/latest/userguide/secretsmanager-controls.html#secretsmanager-${control}`,
} as const;

const IAM_GUIDE = 'https://docs.aws.amazon.com/IAM/latest/UserGuide';
const SECRETS_GUIDE = 'https://docs.aws.amazon.com/secretsmanager/latest/userguide';

export const AWS_DOCS = {
  unusedCredentials: `${IAM_GUIDE}/id_credentials_finding-unused.html`,
  accessKeys: `${IAM_GUIDE}/id_credentials_access-keys.html`,
  updateAccessKeys: `${IAM_GUIDE}/id-credentials-access-keys-update.html`,
  credentialReport: `${IAM_GUIDE}/id_credentials_getting-report.html`,
  rootUserAccessKeys: `${IAM_GUIDE}/id_root-user_manage_add-key.html`,
  loginProfiles: `${IAM_GUIDE}/id_credentials_passwords_admin-change-user.html`,
  serverCertificates: `${IAM_GUIDE}/id_credentials_server-certs.html`,
  thirdPartyAccess: `${IAM_GUIDE}/id_roles_common-scenarios_third-party.html`,
  confusedDeputy: `${IAM_GUIDE}/confused-deputy.html`,
  principalElement: `${IAM_GUIDE}/reference_policies_elements_principal.html`,
  oidcTrust: `${IAM_GUIDE}/id_roles_create_for-idp_oidc.html`,
  oidcConditionKeys: `${IAM_GUIDE}/reference_policies_iam-condition-keys.html`,
  globalConditionKeys: `${IAM_GUIDE}/reference_policies_condition-keys.html`,
  accessDenied: `${IAM_GUIDE}/troubleshoot_access-denied.html`,
  secretRotation: `${SECRETS_GUIDE}/rotating-secrets.html`,
  secretResourcePolicies: `${SECRETS_GUIDE}/auth-and-access_resource-policies.html`,
  secretDeletion: `${SECRETS_GUIDE}/manage_delete-secret.html`,
  describeSecret: 'https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html',
  describeOrganization:
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html',
  githubOidc:
    'https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services',
} as const;
