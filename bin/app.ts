import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeployConfigError, parseDeployConfigFromContext } from '../functions/core/deploy-config';
import { CENTRAL_STACK_NAME } from '../lib/constructs/central-roles';
import { IamPostureMemberStack } from '../lib/iam-posture-member-stack';
import { IamPostureMemberStackSet } from '../lib/iam-posture-member-stack-set';
import { IamPostureStack } from '../lib/iam-posture-stack';

const app = new App();
let config: ReturnType<typeof parseDeployConfigFromContext>;
try {
  config = parseDeployConfigFromContext(app.node.getAllContext());
} catch (error) {
  if (!(error instanceof DeployConfigError)) throw error;
  console.error(`${error.message}\nSee the Deploy section of README.md for the keys and their values.`);
  process.exit(1);
}
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
new IamPostureStack(app, CENTRAL_STACK_NAME, { config, env });
if (config.organization.enabled) {
  // The member stack is account-agnostic: the StackSet deploys the same template everywhere.
  new IamPostureMemberStack(app, 'IamPostureMember', { config, centralStackName: CENTRAL_STACK_NAME });
  new IamPostureMemberStackSet(app, 'IamPostureMemberStackSet', {
    config,
    centralStackName: CENTRAL_STACK_NAME,
    env,
  });
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
