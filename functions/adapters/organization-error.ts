/**
 * The organization's member accounts could not be listed. In a module of its own, free of the AWS
 * SDK, so the CLI maps it to an exit code without loading the SDK.
 */
export class OrganizationDiscoveryError extends Error {
  override readonly name = 'OrganizationDiscoveryError';
  constructor(
    message: string,
    /** The API operation that failed, e.g. `organizations:ListAccounts`. */
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
