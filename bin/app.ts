import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeployConfigError, parseDeployConfigFromContext } from '../functions/core/deploy-config';
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
new IamPostureStack(app, 'IamPosture', {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
