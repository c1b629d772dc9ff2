import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';

/** IAM action prefixes of the SDK clients the collector uses, keyed by the client's name. */
const SERVICE_PREFIXES: Record<string, string> = {
  IAMClient: 'iam',
  STSClient: 'sts',
  SecretsManagerClient: 'secretsmanager',
  EC2Client: 'ec2',
};

/** `IAMClient` + `ListAccessKeysCommand` -> `iam:ListAccessKeys`. */
export function operationName(clientName: string | undefined, commandName: string | undefined): string {
  const client = clientName ?? 'UnknownClient';
  const prefix = SERVICE_PREFIXES[client] ?? client.replace(/Client$/, '').toLowerCase();
  const operation = (commandName ?? 'UnknownCommand').replace(/Command$/, '');
  return `${prefix}:${operation}`;
}

/**
 * Counts the HTTP requests every client sends, by operation (`iam:GetAccountAuthorizationDetails`).
 * The middleware sits inside the retry middleware, so each retry attempt counts: the numbers are
 * what AWS sees and rate-limits, not how often the collector asked.
 */
export class ApiCallCounter {
  private readonly counts = new Map<string, number>();

  /** Adds the counting middleware to a client's stack (`client.middlewareStack`). */
  attach<Input extends object, Output extends object>(stack: MiddlewareStack<Input, Output>): void {
    const middleware: FinalizeRequestMiddleware<Input, Output> = (next, context) => async (args) => {
      this.record(operationName(context.clientName, context.commandName));
      return next(args);
    };
    stack.add(middleware, { step: 'finalizeRequest', priority: 'low', name: 'iamPostureApiCallCounter' });
  }

  record(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  /** Calls by operation, sorted by operation name. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }
}
