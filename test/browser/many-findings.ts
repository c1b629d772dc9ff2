/**
 * A synthetic account with a given number of findings, built from the test builders and analysed
 * by the real engine, so the findings, their evidence and the posture are what a scan produces.
 * Every block of ten findings is six stale roles, one stale admin-equivalent role (two findings:
 * unused, and standing admin) and one user whose only key is old and unused (two findings).
 */
import type { AnalysisReport } from '../../functions/core/report';
import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { analyzeInventory } from '../../functions/use-cases/analyze';
import {
  anAccessKey,
  anInventory,
  aPolicy,
  aRole,
  aUser,
  daysAgo,
  NOW,
  someCredentials,
} from '../support/builders';

/** Every identity has an owner, so the count above is the whole of it. */
const OWNED_BY_ONE_TEAM = {
  ...DEFAULT_SETTINGS,
  ownership: { ...DEFAULT_SETTINGS.ownership, patterns: [{ arn: 'arn:aws:iam::*:*/**', owner: 'platform' }] },
};

const ADMIN = [{ name: 'admin', document: aPolicy([{ Effect: 'Allow', Action: '*', Resource: '*' }]) }];

export function manyFindingsReport(findings: number): AnalysisReport {
  if (findings % 10 !== 0) throw new Error(`findings must be a multiple of 10, got ${findings}`);
  const roles = [];
  const users = [];
  const accessKeys = [];
  for (let block = 0; block < findings / 10; block++) {
    for (let i = 0; i < 6; i++) {
      roles.push(
        aRole({
          name: `app-${String(block).padStart(6, '0')}-${i}`,
          createdAt: daysAgo(500 + (block % 200)),
          lastUsedAt: daysAgo(91 + ((block * 7 + i) % 300)),
        }),
      );
    }
    roles.push(
      aRole({
        name: `admin-${String(block).padStart(6, '0')}`,
        createdAt: daysAgo(800),
        lastUsedAt: daysAgo(120 + (block % 100)),
        inlinePolicies: ADMIN,
      }),
    );
    const userName = `svc-${String(block).padStart(6, '0')}`;
    const key = anAccessKey({
      userName,
      keyId: `AKIA${String(block).padStart(16, '0')}`,
      createdAt: daysAgo(100 + (block % 900)),
      lastUsedAt: daysAgo(60 + (block % 50)),
    });
    accessKeys.push(key);
    users.push(aUser({ name: userName, credentials: someCredentials({ accessKeys: [key] }) }));
  }
  return analyzeInventory(anInventory({ roles, users, accessKeys }), {
    settings: OWNED_BY_ONE_TEAM,
    now: NOW,
  });
}
