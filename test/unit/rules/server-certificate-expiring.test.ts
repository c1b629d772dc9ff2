import { describe, expect, it } from 'vitest';
import { serverCertificateExpiring } from '../../../functions/core/rules/server-certificate-expiring';
import { aContext, aServerCertificate, daysAgo, daysFromNow } from '../../support/builders';

const ctx = aContext();

describe('server-certificate-expiring', () => {
  it.each([
    ['expires in 31 days', daysFromNow(31), 'pass', undefined],
    ['expires in exactly 30 days', daysFromNow(30), 'fail', undefined],
    ['expires in 29 days', daysFromNow(29), 'fail', undefined],
    ['expires in 30 days and a minute', daysFromNow(30 + 1 / 1440), 'pass', undefined],
    ['expires right now', daysFromNow(0), 'fail', undefined],
    ['expired a second ago', daysAgo(1 / 86_400), 'fail', 'high'],
    ['expired a year ago', daysAgo(365), 'fail', 'high'],
  ] as const)('%s -> %s', (_label, expiresAt, status, severity) => {
    const result = serverCertificateExpiring.evaluate(aServerCertificate({ expiresAt }), ctx);
    expect(result.status).toBe(status);
    if (result.status === 'fail') expect(result.severity).toBe(severity);
  });

  it('is not applicable without an expiration date', () => {
    expect(serverCertificateExpiring.evaluate(aServerCertificate({ expiresAt: undefined }), ctx).status).toBe(
      'not-applicable',
    );
  });

  it('names the certificate and its dates, and raises expired certificates to high', () => {
    expect(
      serverCertificateExpiring.evaluate(
        aServerCertificate({ name: 'api', expiresAt: daysFromNow(12.5) }),
        ctx,
      ),
    ).toEqual({
      status: 'fail',
      reason: 'Server certificate api expires on 2026-06-14, in 12 days.',
      evidence: {
        uploadedAt: '2025-08-05T12:00:00.000Z',
        expiresAt: '2026-06-14T00:00:00.000Z',
        expired: false,
        remainingDays: 12,
        thresholdDays: 30,
      },
    });
    expect(
      serverCertificateExpiring.evaluate(aServerCertificate({ name: 'old', expiresAt: daysAgo(40) }), ctx),
    ).toEqual({
      status: 'fail',
      reason: 'Server certificate old expired on 2026-04-22 (40 days ago).',
      severity: 'high',
      evidence: {
        uploadedAt: '2025-08-05T12:00:00.000Z',
        expiresAt: '2026-04-22T12:00:00.000Z',
        expired: true,
        expiredDays: 40,
        thresholdDays: 30,
      },
    });
  });

  it('reads the configured window', () => {
    const certificate = aServerCertificate({ expiresAt: daysFromNow(60) });
    expect(
      serverCertificateExpiring.evaluate(certificate, aContext({ thresholds: { certificateExpiryDays: 60 } }))
        .status,
    ).toBe('fail');
    expect(
      serverCertificateExpiring.evaluate(certificate, aContext({ thresholds: { certificateExpiryDays: 59 } }))
        .status,
    ).toBe('pass');
  });
});
