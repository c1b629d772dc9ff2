import type { ServerCertificateSnapshot } from '../model';
import { isRecord, MALFORMED, type NormalizeContext, str } from './context';

/** Reads `list-server-certificates` output. */
export function readServerCertificates(ctx: NormalizeContext): void {
  const value = ctx.raw.serverCertificates;
  if (value === undefined) return;
  const source = ctx.sources.serverCertificates;
  const list = Array.isArray(value)
    ? value
    : isRecord(value)
      ? value.ServerCertificateMetadataList
      : undefined;
  const listPath = Array.isArray(value) ? '$' : '$.ServerCertificateMetadataList';
  if (!Array.isArray(list)) {
    ctx.gap(
      source,
      undefined,
      MALFORMED,
      listPath,
      'The server certificate list has no ServerCertificateMetadataList; certificates were not analysed.',
    );
    return;
  }
  list.forEach((entry, i) => {
    const path = `${listPath}[${i}]`;
    const arn = isRecord(entry) ? str(entry.Arn) : undefined;
    const name = isRecord(entry) ? str(entry.ServerCertificateName) : undefined;
    if (!isRecord(entry) || !arn?.startsWith('arn:') || !name) {
      ctx.gap(
        source,
        arn?.startsWith('arn:') ? arn : undefined,
        MALFORMED,
        path,
        `Server certificate ${name ?? arn ?? path} has no valid Arn or ServerCertificateName; it was not analysed.`,
      );
      return;
    }
    const subject = `Server certificate ${name}`;
    const certificate: ServerCertificateSnapshot = {
      kind: 'server-certificate',
      arn,
      accountId: ctx.accountId,
      name,
      path: str(entry.Path) ?? '/',
    };
    const uploadedAt = ctx.date(
      entry.UploadDate,
      source,
      path,
      'UploadDate',
      arn,
      subject,
      'its upload time is unknown',
    );
    if (uploadedAt instanceof Date) certificate.uploadedAt = uploadedAt;
    const expiresAt = ctx.date(
      entry.Expiration,
      source,
      path,
      'Expiration',
      arn,
      subject,
      'its expiry was not checked',
    );
    if (expiresAt instanceof Date) certificate.expiresAt = expiresAt;
    if (expiresAt === undefined) {
      ctx.gap(
        source,
        arn,
        MALFORMED,
        `${path}.Expiration`,
        `${subject} has no Expiration; its expiry was not checked.`,
        'no Expiration',
      );
    }
    ctx.serverCertificates.push(certificate);
  });
}
