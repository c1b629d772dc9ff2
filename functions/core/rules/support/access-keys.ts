import type { AccessKeySnapshot } from '../../model';

/** How a reason names a key: its id when known, else its credential-report slot. */
export function describeKey(key: AccessKeySnapshot): string {
  return key.keyId ? `access key ${key.keyId}` : `access key ${key.slot}`;
}

/** Evidence fields identifying a key. */
export function keyEvidence(key: AccessKeySnapshot): { keyId: string | null; slot: number } {
  return { keyId: key.keyId ?? null, slot: key.slot };
}
