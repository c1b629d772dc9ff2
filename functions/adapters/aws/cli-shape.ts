/**
 * SDK responses -> what the AWS CLI prints for the same call: no `$metadata`, timestamps as
 * ISO-8601 strings, no pagination tokens, and (for IAM) policy documents decoded from their
 * URL-encoded form into JSON objects. Live collection writes exactly this, so an export directory
 * built by the collector and one built by hand with the AWS CLI read the same.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PAGINATION_KEYS = new Set(['$metadata', 'IsTruncated', 'Marker', 'NextToken']);

/** IAM members of type `policyDocumentType`, which the CLI decodes. */
const POLICY_DOCUMENT_KEYS = new Set(['AssumeRolePolicyDocument', 'PolicyDocument', 'Document']);

/** Plain JSON of an SDK output: drops `$metadata`, pagination tokens and undefined members. */
export function toCliJson(value: unknown): Json {
  return convert(value, false, true);
}

/** As `toCliJson`, and IAM policy documents become JSON objects (as `aws iam` prints them). */
export function toCliJsonWithPolicies(value: unknown): Json {
  return convert(value, true, true);
}

function convert(value: unknown, decodePolicies: boolean, topLevel: boolean): Json {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((item) => convert(item, decodePolicies, false));
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined) continue;
      if (topLevel && PAGINATION_KEYS.has(key)) continue;
      if (key === '$metadata') continue;
      out[key] =
        decodePolicies && POLICY_DOCUMENT_KEYS.has(key) && typeof member === 'string'
          ? decodePolicyDocument(member)
          : convert(member, decodePolicies, false);
    }
    return out;
  }
  return String(value);
}

/**
 * IAM returns policy documents URL-encoded (RFC 3986); some emulators return plain JSON. A
 * document that is neither stays the string it was, for the reader to report as malformed.
 */
export function decodePolicyDocument(text: string): Json {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const parsed = tryParse(trimmed);
    if (parsed !== undefined) return parsed;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(trimmed.replace(/\+/g, '%20'));
  } catch {
    return text;
  }
  return tryParse(decoded) ?? text;
}

function tryParse(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}
