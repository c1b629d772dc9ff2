import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's request signing: HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the app's signing secret. */
export interface SignedRequest {
  signingSecret: string;
  /** `X-Slack-Request-Timestamp` header, seconds since the epoch. */
  timestamp: string | undefined;
  /** `X-Slack-Signature` header, `v0=<hex>`. */
  signature: string | undefined;
  /** The body exactly as received, as bytes (a base64-encoded Function URL body must be decoded first). */
  rawBody: Buffer;
  /** Current time in seconds since the epoch. */
  nowSeconds: number;
  /** Accepted clock difference in either direction, in seconds. */
  toleranceSeconds?: number;
}

export type SignatureVerdict =
  | { valid: true }
  | {
      valid: false;
      reason:
        | 'empty-secret'
        | 'missing-header'
        | 'malformed-timestamp'
        | 'stale'
        | 'future'
        | 'bad-signature';
    };

const DEFAULT_TOLERANCE_SECONDS = 300;

/** Verifies a Slack request. Every check fails closed; the comparison is constant-time. */
export function verifySlackSignature(request: SignedRequest): SignatureVerdict {
  if (request.signingSecret.length === 0) return { valid: false, reason: 'empty-secret' };
  if (!request.timestamp || !request.signature) return { valid: false, reason: 'missing-header' };
  if (!/^\d{1,12}$/.test(request.timestamp)) return { valid: false, reason: 'malformed-timestamp' };
  const tolerance = request.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const skew = request.nowSeconds - Number(request.timestamp);
  if (skew > tolerance) return { valid: false, reason: 'stale' };
  if (skew < -tolerance) return { valid: false, reason: 'future' };
  const expected = Buffer.from(
    signSlackRequest(request.signingSecret, request.timestamp, request.rawBody),
    'utf8',
  );
  const received = Buffer.from(request.signature, 'utf8');
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    return { valid: false, reason: 'bad-signature' };
  }
  return { valid: true };
}

/** The `X-Slack-Signature` value Slack would send for this body. */
export function signSlackRequest(signingSecret: string, timestamp: string, rawBody: Buffer): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}
