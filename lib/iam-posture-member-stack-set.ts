import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnParameter, DefaultStackSynthesizer, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../functions/core/deploy-config';
import { CENTRAL_STACK_NAME } from './constructs/central-roles';
import { CENTRAL_ACCOUNT_PARAMETER, IamPostureMemberStack } from './iam-posture-member-stack';

/** CloudFormation's limit on a TemplateBody passed inline. */
export const TEMPLATE_BODY_MAX_BYTES = 51_200;

/**
 * The member stack's template, synthesized in its own app: no bootstrap version rule (member
 * accounts are not bootstrapped) and no CDK metadata resource, so it deploys as a StackSet
 * instance anywhere in the organization.
 */
export function memberTemplateBody(
  config: DeployConfig,
  centralStackName: string = CENTRAL_STACK_NAME,
): string {
  const outdir = mkdtempSync(join(tmpdir(), 'iam-posture-member-'));
  try {
    const app = new App({ outdir, analyticsReporting: false });
    const stack = new IamPostureMemberStack(app, 'IamPostureMember', {
      config,
      centralStackName,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    const template = app.synth().getStackArtifact(stack.artifactId).template as unknown;
    return JSON.stringify(template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface IamPostureMemberStackSetProps extends StackProps {
  config: DeployConfig;
  centralStackName?: string;
}

/**
 * Rolls the member stack out to the organization: a service-managed StackSet, deployed from the
 * management account (or a StackSets delegated administrator), targeting the configured OUs (or
 * the OUs given at deploy time, e.g. the root), with automatic deployment to accounts that join
 * them and removal from accounts that leave. Service-managed StackSets never deploy to the
 * management account itself: deploy the member stack there directly when it should be scanned.
 */
export class IamPostureMemberStackSet extends Stack {
  readonly stackSet: cloudformation.CfnStackSet;
  readonly templateBody: string;

  constructor(scope: Construct, id: string, props: IamPostureMemberStackSetProps) {
    super(scope, id, {
      description: 'iam-posture: rolls the member roles out to the organization (service-managed StackSet)',
      ...props,
    });
    const centralStackName = props.centralStackName ?? CENTRAL_STACK_NAME;
    this.templateBody = memberTemplateBody(props.config, centralStackName);
    const bytes = Buffer.byteLength(this.templateBody, 'utf8');
    if (bytes > TEMPLATE_BODY_MAX_BYTES) {
      throw new Error(
        `the member template takes ${bytes} bytes, more than the ${TEMPLATE_BODY_MAX_BYTES} CloudFormation accepts inline`,
      );
    }

    const centralAccountId = new CfnParameter(this, CENTRAL_ACCOUNT_PARAMETER, {
      type: 'String',
      allowedPattern: '^\\d{12}$',
      constraintDescription: 'must be a 12-digit AWS account id',
      description: 'Account of the central iam-posture deployment (where the IamPosture stack runs)',
    });
    const includeOus = props.config.organization.includeOus ?? [];
    const targetOus = new CfnParameter(this, 'TargetOuIds', {
      type: 'CommaDelimitedList',
      description: 'OUs (or the root, r-...) whose accounts receive the member roles, now and when they join',
      ...(includeOus.length > 0 ? { default: includeOus.join(',') } : {}),
    });
    const callAs = new CfnParameter(this, 'CallAs', {
      type: 'String',
      allowedValues: ['SELF', 'DELEGATED_ADMIN'],
      default: 'SELF',
      description:
        'SELF in the management account; DELEGATED_ADMIN in a StackSets delegated administrator account',
    });

    this.stackSet = new cloudformation.CfnStackSet(this, 'MemberStackSet', {
      stackSetName: `${centralStackName}-member`,
      description:
        'iam-posture member roles: read-only scanner (and remediation) trusted by the central deployment',
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      callAs: callAs.valueAsString,
      managedExecution: { Active: true },
      // One account that cannot take the stack (an SCP, a name clash) never stops the others.
      operationPreferences: {
        failureTolerancePercentage: 100,
        maxConcurrentPercentage: 100,
        regionConcurrencyType: 'PARALLEL',
      },
      parameters: [
        { parameterKey: CENTRAL_ACCOUNT_PARAMETER, parameterValue: centralAccountId.valueAsString },
      ],
      // IAM is global: one region per account is enough.
      stackInstancesGroup: [
        { deploymentTargets: { organizationalUnitIds: targetOus.valueAsList }, regions: [this.region] },
      ],
      templateBody: this.templateBody,
    });
  }
}
