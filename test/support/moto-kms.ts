import type { MotoServer } from './moto';

/**
 * A customer-managed key in moto's KMS. The project has no KMS client (the stack creates its key),
 * so this is KMS's JSON protocol by hand; moto routes the request by the credential scope.
 */
export async function createMotoKmsKey(moto: MotoServer, description = 'data key'): Promise<string> {
  const { endpoint, region, credentials } = moto.clientConfig;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'TrentService.CreateKey',
      Authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20250101/${region}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: description }),
  });
  if (!response.ok)
    throw new Error(`moto CreateKey failed: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
}
