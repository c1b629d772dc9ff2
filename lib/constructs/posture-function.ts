import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The repository root: the bundler's project root. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every function runs on this runtime and architecture. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const FUNCTION_ARCHITECTURE = lambda.Architecture.ARM_64;

/** Prefix of each function's Powertools service name: `iam-posture-<handler>`. */
export const POWERTOOLS_SERVICE_PREFIX = 'iam-posture';
export const METRICS_NAMESPACE = 'IamPosture';

/**
 * esbuild options shared by every function: one minified ES module with the AWS SDK bundled in
 * (the versions the tests ran, not whatever the runtime ships), built locally, never in Docker.
 */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: false,
  mainFields: ['module', 'main'],
  externalModules: [],
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  forceDockerBundling: false,
  logLevel: LogLevel.WARNING,
};

export interface PostureFunctionProps {
  /** Handler file under functions/handlers, without extension (e.g. `scan`); it exports `handler`. */
  handlerName: string;
  description: string;
  /** The execution role; this construct grants it the log group and the dead-letter queue. */
  role: iam.Role;
  environment: Record<string, string>;
  timeout: Duration;
  memorySize: number;
  logRetentionDays: number;
  tracing: boolean;
  /** Undefined leaves the function unreserved. */
  reservedConcurrentExecutions?: number;
  /** Receives asynchronous invocations that failed every attempt. */
  deadLetterQueue?: sqs.IQueue;
  /** Retries of failed asynchronous invocations (0-2). */
  retryAttempts?: number;
  /** How long an asynchronous invocation may wait in Lambda's queue before it is dropped to the DLQ. */
  maxEventAge?: Duration;
}

/**
 * A function of this product: bundled from functions/handlers/<name>.ts, Node.js on ARM64, its own
 * log group with a retention period, Powertools configured, and a role given nothing implicitly.
 */
export class PostureFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PostureFunctionProps) {
    super(scope, id);
    const entry = fileURLToPath(new URL(`../../functions/handlers/${props.handlerName}.ts`, import.meta.url));
    if (!existsSync(entry)) throw new Error(`handler file not found: ${entry}`);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../../package-lock.json', import.meta.url)),
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
      role: props.role,
      timeout: props.timeout,
      memorySize: props.memorySize,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      ...(props.retryAttempts !== undefined ? { retryAttempts: props.retryAttempts } : {}),
      ...(props.maxEventAge ? { maxEventAge: props.maxEventAge } : {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: `${POWERTOOLS_SERVICE_PREFIX}-${props.handlerName}`,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: BUNDLING,
    });

    // The role is given exactly this log group, not the account-wide AWSLambdaBasicExecutionRole.
    this.logGroup.grantWrite(props.role);

    const defaultPolicy = props.role.node.tryFindChild('DefaultPolicy');
    if (props.tracing && defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource type, so IAM accepts only "*"; they only write trace data.',
      });
    }
  }
}
