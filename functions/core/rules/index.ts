import type { Rule } from '../rule';
import { accessKeyNotRotated } from './access-key-not-rotated';
import { accessKeyUnused } from './access-key-unused';
import { identityOwnerMissing } from './identity-owner-missing';
import { jitBreakGlassUsed } from './jit-break-glass-used';
import { jitEligibilityUnused } from './jit-eligibility-unused';
import { jitGrantLingering } from './jit-grant-lingering';
import { passwordUnused } from './password-unused';
import { policyOrganizationUnconfirmed } from './policy-organization-unconfirmed';
import { privilegeEscalation } from './privilege-escalation';
import { reviewOverdue } from './review-overdue';
import { roleTrustReused } from './role-trust-reused';
import { roleUnused } from './role-unused';
import { rootAccessKey } from './root-access-key';
import { scanCoverageGap } from './scan-coverage-gap';
import { secretNotRotated } from './secret-not-rotated';
import { secretPolicyPublic } from './secret-policy-public';
import { secretRotationDisabled } from './secret-rotation-disabled';
import { secretUnused } from './secret-unused';
import { serverCertificateExpiring } from './server-certificate-expiring';
import { standingAdmin } from './standing-admin';
import { trustCrossEnvironment } from './trust-cross-environment';
import { trustExternalAccountNoExternalId } from './trust-external-account-no-external-id';
import { trustOidcUnscoped } from './trust-oidc-unscoped';
import { trustWildcardPrincipal } from './trust-wildcard-principal';
import { unusedServicePermissions } from './unused-service-permissions';
import { userHumanAndMachine } from './user-human-and-machine';
import { userMultipleActiveKeys } from './user-multiple-active-keys';

/** The rule catalog: every rule, listed explicitly. Order is the display order of `iam-posture rules`. */
export const RULES: readonly Rule[] = [
  // identities
  roleUnused,
  standingAdmin,
  privilegeEscalation,
  unusedServicePermissions,
  passwordUnused,
  userHumanAndMachine,
  identityOwnerMissing,
  // access keys
  rootAccessKey,
  accessKeyUnused,
  accessKeyNotRotated,
  userMultipleActiveKeys,
  // secrets
  secretPolicyPublic,
  secretRotationDisabled,
  secretNotRotated,
  secretUnused,
  // certificates
  serverCertificateExpiring,
  // trust
  trustWildcardPrincipal,
  trustExternalAccountNoExternalId,
  trustOidcUnscoped,
  roleTrustReused,
  trustCrossEnvironment,
  policyOrganizationUnconfirmed,
  // just-in-time elevation
  jitGrantLingering,
  jitEligibilityUnused,
  jitBreakGlassUsed,
  // entitlement reviews
  reviewOverdue,
  // coverage
  scanCoverageGap,
];
