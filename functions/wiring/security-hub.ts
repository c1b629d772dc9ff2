import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SecurityHubFindingsImporter } from '../adapters/aws/security-hub-importer';
import { sleep } from '../core/backoff';
import type { SecurityHubExporterConfig } from '../core/report/asff-exporter-config';
import type { ExportSecurityHubDeps, SecurityHubImporter } from '../use-cases/export-security-hub';
import { type AwsConfig, sdkConfig } from './aws';
import { memberAccess } from './organization';

/**
 * The exporter's dependencies: an importer per account, built once per account and kept for the
 * life of the function. The home account's findings are imported with the function's own role;
 * in organization mode every other account's through that account's import role (assumed with the
 * exporter's credentials, trusted only from the exporter's role), so each finding lands in the
 * Security Hub of the account it is about.
 */

export interface SecurityHubExportWiring extends ExportSecurityHubDeps {
  destroy(): void;
}

/** A finding of an account the exporter cannot import into. */
export class AccountNotImportableError extends Error {
  override readonly name = 'AccountNotImportableError';
}

export function securityHubExportDeps(
  aws: AwsConfig,
  config: SecurityHubExporterConfig,
): SecurityHubExportWiring {
  const home: AwsConfig = { ...aws, region: config.region };
  // Retries are the exporter's own (backoff on throttling, failed findings sent again): one SDK attempt per call.
  const clients: SecurityHubClient[] = [];
  const importers = new Map<string, Promise<SecurityHubImporter>>();
  const access = config.memberImportRoleName
    ? memberAccess(home, {
        roleName: config.memberImportRoleName,
        runId: 'security-hub-export',
        ...(config.memberExternalId ? { externalId: config.memberExternalId } : {}),
      })
    : undefined;

  const build = async (accountId: string): Promise<SecurityHubImporter> => {
    let accountConfig: AwsConfig;
    if (accountId === config.homeAccountId) {
      accountConfig = home;
    } else if (access) {
      accountConfig = await access.memberConfig({ id: accountId, name: accountId });
    } else {
      throw new AccountNotImportableError(
        `account ${accountId} is not the exporter's account ${config.homeAccountId}, and organization mode is off`,
      );
    }
    const client = new SecurityHubClient(sdkConfig(accountConfig, 1));
    clients.push(client);
    return new SecurityHubFindingsImporter(client);
  };

  return {
    region: config.region,
    sleep,
    random: Math.random,
    importerFor(accountId) {
      let importer = importers.get(accountId);
      if (!importer) {
        importer = build(accountId);
        // A failed assume is not kept: the next batch tries the account again.
        importer.catch(() => importers.delete(accountId));
        importers.set(accountId, importer);
      }
      return importer;
    },
    destroy() {
      for (const client of clients) client.destroy();
      access?.destroy();
    },
  };
}
