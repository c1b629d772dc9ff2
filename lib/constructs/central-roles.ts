/**
 * Names of the central deployment's roles in organization mode. Member accounts trust these roles
 * by exact ARN, and the member stack is synthesized where the central stack's own tokens do not
 * resolve (another account, a StackSet), so both sides derive the names from the central stack's
 * name: fixed names, not CloudFormation-generated ones.
 */
export interface CentralRoleNames {
  /** The org state machine's Lambdas (discover, scan-account, aggregate) and the scan function. */
  scanner: string;
  /** The acting remediation function. */
  remediation: string;
  /** The rollback function. */
  rollback: string;
}

/** The central stack's name by default (bin/app.ts). */
export const CENTRAL_STACK_NAME = 'IamPosture';

/** `<stack>-scanner`, `<stack>-remediation`, `<stack>-rollback`: under the own-roles pattern `role/<stack>-*`. */
export function centralRoleNames(centralStackName: string = CENTRAL_STACK_NAME): CentralRoleNames {
  return {
    scanner: `${centralStackName}-scanner`,
    remediation: `${centralStackName}-remediation`,
    rollback: `${centralStackName}-rollback`,
  };
}
