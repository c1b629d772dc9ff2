import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { SCANNER_ACTIONS } from '../../functions/core/scanner-permissions';
import { commandsSent, resetMocks, runCollection, stubHealthyAccount } from './collector-fixtures';

const COLLECTOR_DIR = new URL('../../functions/adapters/aws/', import.meta.url);
const SERVICE_PREFIX: Record<string, string> = {
  iam: 'iam',
  sts: 'sts',
  'secrets-manager': 'secretsmanager',
  ec2: 'ec2',
  organizations: 'organizations',
};

/** The collector's modules: `collector.ts` and everything it imports from the same directory. */
function collectorModules(): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(new URL(file, COLLECTOR_DIR), 'utf8');
    for (const match of source.matchAll(/from\s*'\.\/([a-z0-9-]+)'/g)) visit(`${match[1]}.ts`);
  };
  visit('collector.ts');
  return [...seen].sort();
}

/** `service:Operation` for every SDK command or paginator (`paginateOperation`) the collector modules import as a value. */
function importedCommands(): string[] {
  const actions = new Set<string>();
  for (const file of collectorModules()) {
    const source = readFileSync(new URL(file, COLLECTOR_DIR), 'utf8');
    for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      const prefix = SERVICE_PREFIX[match[2]!] ?? `unknown-client-${match[2]}`;
      for (const name of match[1]!.split(',').map((part) => part.trim())) {
        if (name.startsWith('type ')) continue;
        const operation = /^paginate([A-Z]\w+)$/.exec(name)?.[1] ?? /^(\w+)Command$/.exec(name)?.[1];
        if (operation) actions.add(`${prefix}:${operation}`);
      }
    }
  }
  return [...actions].sort();
}

/** IAM access levels other than List/Read start with these verbs. */
const WRITE_VERBS =
  /^(Accept|Add|Associate|Attach|Cancel|Change|Create|Deactivate|Delete|Detach|Disable|Enable|Modify|Pass|Put|Reject|Remove|Replicate|Reset|Restore|Rotate|Set|Stop|Tag|Untag|Update|Upload|Validate)/;

beforeEach(() => {
  resetMocks();
  stubHealthyAccount();
});

describe('scanner permissions', () => {
  it('are exactly the operations a full collection calls', async () => {
    await runCollection({ regions: 'all' });
    const called = [...new Set(commandsSent())].sort();
    expect(called).toEqual([...SCANNER_ACTIONS].sort());
  });

  it('are exactly the SDK commands the collector modules use', () => {
    expect(collectorModules()).toEqual([
      'account-reader.ts',
      'api-call-counter.ts',
      'cli-shape.ts',
      'clients.ts',
      'clock.ts',
      'collector.ts',
      'errors.ts',
      'iam-reader.ts',
      'organization-reader.ts',
      'pages.ts',
      'read.ts',
      'secrets-reader.ts',
      'service-last-accessed.ts',
    ]);
    expect(importedCommands()).toEqual([...SCANNER_ACTIONS].sort());
  });

  it('hold no write action and never secretsmanager:GetSecretValue', () => {
    // iam:Generate* start report jobs; IAM classifies them as Read.
    const writes = SCANNER_ACTIONS.filter((action) => WRITE_VERBS.test(action.split(':')[1]!));
    expect(writes).toEqual([]);
    expect(SCANNER_ACTIONS).not.toContain('secretsmanager:GetSecretValue');
    expect(SCANNER_ACTIONS.some((action) => action.startsWith('kms:'))).toBe(false);
  });
});
