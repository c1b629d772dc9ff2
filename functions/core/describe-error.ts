/** `Name: message` (its first line) of an error, for reasons and warnings. Never includes request payloads. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.split('\n', 1)[0]!.trim().replace(/\.$/, '');
  return message ? `${error.name}: ${message}` : error.name;
}
