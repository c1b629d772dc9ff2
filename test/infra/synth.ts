import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { parseDeployConfig } from '../../functions/core/deploy-config';
import { IamPostureStack } from '../../lib/iam-posture-stack';

export interface Synthesized {
  app: App;
  stack: IamPostureStack;
  template: Template;
  outdir: string;
}

/**
 * Builds the stack as bin/app.ts does, from a deploy config given as structured values.
 * `bundle: false` skips esbuild (CDK's `aws:cdk:bundling-stacks` context), for variants whose
 * code asset does not matter.
 */
export function synthesize(
  input: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'iam-posture-cdk-'));
  const app = new App({
    outdir,
    ...(options.bundle === false ? { context: { 'aws:cdk:bundling-stacks': [] } } : {}),
  });
  const stack = new IamPostureStack(app, 'IamPosture', { config: parseDeployConfig(input) });
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir };
}

/** cdk-nag AwsSolutions violations the acknowledgements leave, as `rule at construct path`. */
export function nagViolations(app: App): { rule: string; severity: string; path: string }[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      severity: violation.severity ?? 'unknown',
      path: resource.constructPath ?? resource.resourceLogicalId ?? '?',
    })),
  );
}

/** Every acknowledgement recorded with `Validations.of(...).acknowledge`, with where it was made. */
export function acknowledgements(root: IConstruct): { path: string; id: string; reason: unknown }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** The CloudFormation logical id of a construct's resource. */
export function logicalId(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnResource;
  return Stack.of(resource).getLogicalId(cfn);
}

/** One statement of an IAM policy in a template. */
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

/** The statements of the `AWS::IAM::Policy` resources attached to the role `roleLogicalId`. */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  });
  return Object.values(policies).flatMap(
    (policy) =>
      (policy.Properties as { PolicyDocument: { Statement: PolicyStatement[] } }).PolicyDocument.Statement,
  );
}
