import { CfnParameter, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../functions/core/deploy-config';
import {
  actingPermissions,
  MEMBER_QUARANTINE_POLICY_NAME,
  rollbackPermissions,
} from '../functions/core/remediation/catalog';
import { CENTRAL_STACK_NAME, centralRoleNames } from './constructs/central-roles';
import {
  acknowledgeCatalogWildcards,
  protectionDenies,
  quarantinePolicy,
  remediationStatements,
} from './constructs/remediation';
import { ScannerRole } from './constructs/scanner-role';
import {
  defaultProductArn,
  SECURITY_HUB_IMPORT_ACTIONS,
  securityHubExporterRoleName,
} from './constructs/security-hub-exporter';
import { PROTECTED_TAG } from './iam-posture-stack';

export interface IamPostureMemberStackProps extends StackProps {
  config: DeployConfig;
  /** The central stack's name: the central roles' names derive from it. Default `IamPosture`. */
  centralStackName?: string;
}

/** The parameter naming the central deployment's account (the security or delegated-admin account). */
export const CENTRAL_ACCOUNT_PARAMETER = 'CentralAccountId';

/**
 * What a member account holds for organization mode: the read-only scanner role the central
 * state machine assumes, built from the same action list as the central scanner role, and (when
 * remediation is deployed) the acting role holding the catalog's privilege-reducing actions, the
 * rollback role holding its re-granting actions, and the deny-all quarantine policy. Each trusts
 * one principal: the exact central role ARN, held to the organization by `aws:PrincipalOrgID`,
 * and to `sts:ExternalId` when one is configured (members of another organization).
 *
 * The stack has no assets and no account-specific value, so the same template deploys to every
 * account through a service-managed StackSet; the central account id is a parameter.
 */
export class IamPostureMemberStack extends Stack {
  readonly centralAccountId: CfnParameter;
  readonly scanner: ScannerRole;
  readonly remediationRole?: iam.Role;
  readonly rollbackRole?: iam.Role;
  readonly quarantinePolicy?: iam.ManagedPolicy;
  /** Write-only: imports this account's findings into its Security Hub (`securityHub.enabled`). */
  readonly findingsImportRole?: iam.Role;

  constructor(scope: Construct, id: string, props: IamPostureMemberStackProps) {
    super(scope, id, {
      description:
        'iam-posture member account: the read-only scanner role (and remediation role) the central deployment assumes',
      ...props,
    });
    const organization = props.config.organization;
    const organizationId = organization.organizationId;
    if (organizationId === undefined) {
      throw new Error(
        'the member stack needs organization.organizationId (aws:PrincipalOrgID in the trust policies)',
      );
    }
    this.centralAccountId = new CfnParameter(this, CENTRAL_ACCOUNT_PARAMETER, {
      type: 'String',
      allowedPattern: '^\\d{12}$',
      constraintDescription: 'must be a 12-digit AWS account id',
      description:
        'Account of the central iam-posture deployment, whose scanner and remediation roles this account trusts',
    });
    const centralStackName = props.centralStackName ?? CENTRAL_STACK_NAME;
    const central = centralRoleNames(centralStackName);
    const centralRoleArn = (name: string) =>
      `arn:${this.partition}:iam::${this.centralAccountId.valueAsString}:role/${name}`;
    const trusting = (roleName: string) =>
      new iam.ArnPrincipal(centralRoleArn(roleName)).withConditions({
        StringEquals: {
          'aws:PrincipalOrgID': organizationId,
          ...(organization.externalId !== undefined ? { 'sts:ExternalId': organization.externalId } : {}),
        },
      });

    this.scanner = new ScannerRole(this, 'Scanner', {
      assumedBy: trusting(central.scanner),
      roleName: organization.memberRoleName,
      description: 'iam-posture member scanner: read-only, assumed by the central iam-posture scan',
    });

    const securityHub = props.config.securityHub;
    if (securityHub.enabled) {
      // The scanner role stays read-only: writing findings is this separate role's one permission.
      this.findingsImportRole = new iam.Role(this, 'FindingsImport', {
        assumedBy: trusting(securityHubExporterRoleName(centralStackName)),
        roleName: securityHub.memberImportRoleName,
        description:
          "iam-posture member findings import: BatchImportFindings on this account's default Security Hub product, assumed by the central exporter",
        inlinePolicies: {
          ImportFindings: new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                actions: [...SECURITY_HUB_IMPORT_ACTIONS],
                resources: [defaultProductArn(this)],
              }),
            ],
          }),
        },
      });
    }

    if (props.config.slackChannelId !== undefined) {
      // Remediation never changes the roles iam-posture itself depends on in this account.
      const ownRoles = [
        organization.memberRoleName,
        organization.memberRemediationRoleName,
        organization.memberRollbackRoleName,
        ...(securityHub.enabled ? [securityHub.memberImportRoleName] : []),
      ].map((name) => `arn:${this.partition}:iam::${this.account}:role/${name}`);
      this.quarantinePolicy = quarantinePolicy(this, 'Quarantine', MEMBER_QUARANTINE_POLICY_NAME);

      const acting = new iam.Role(this, 'Remediation', {
        assumedBy: trusting(central.remediation),
        roleName: organization.memberRemediationRoleName,
        description:
          'iam-posture member remediation: the privilege-reducing catalog actions, assumed by the central remediation function',
      });
      const actingPolicy = new iam.Policy(this, 'CatalogActions', {
        statements: [
          ...remediationStatements(this, 'acting', {
            quarantinePolicyArn: this.quarantinePolicy.managedPolicyArn,
            rotationFunctions: props.config.remediation.rotationFunctions,
          }),
          ...protectionDenies(actingPermissions(), ownRoles),
        ],
      });
      actingPolicy.attachToRole(acting);
      acknowledgeCatalogWildcards(actingPolicy, 'acting', props.config.remediation.rotationFunctions);
      this.remediationRole = acting;

      const rollback = new iam.Role(this, 'Rollback', {
        assumedBy: trusting(central.rollback),
        roleName: organization.memberRollbackRoleName,
        description:
          'iam-posture member rollback: the re-granting catalog actions, assumed by the central rollback function',
      });
      const rollbackPolicy = new iam.Policy(this, 'RollbackActions', {
        statements: [
          ...remediationStatements(this, 'rollback'),
          ...protectionDenies(rollbackPermissions(), ownRoles),
        ],
      });
      rollbackPolicy.attachToRole(rollback);
      acknowledgeCatalogWildcards(rollbackPolicy, 'rollback', []);
      this.rollbackRole = rollback;
    }

    Tags.of(this).add(PROTECTED_TAG.key, PROTECTED_TAG.value, { includeResourceTypes: ['AWS::IAM::Role'] });
  }
}
