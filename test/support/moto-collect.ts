/**
 * A live collection of moto's account with the real AWS clients and collector, as a deployed scan
 * collects: what `runScan` is given to collect, or what a test analyzes directly.
 */
import { createAwsClients } from '../../functions/adapters/aws/clients';
import { AwsCollector } from '../../functions/adapters/aws/collector';
import type { ScanSettings } from '../../functions/core/settings';
import { collectAccount } from '../../functions/use-cases/collect';
import type { CollectedInput } from '../../functions/use-cases/run-scan';
import { MOTO_REGION, type MotoServer } from './moto';

export async function collectMoto(moto: MotoServer, settings: ScanSettings): Promise<CollectedInput> {
  const clients = createAwsClients({
    endpoint: moto.endpoint,
    region: MOTO_REGION,
    credentials: moto.clientConfig.credentials,
    maxAttempts: 2,
  });
  try {
    const collector = new AwsCollector(clients, {
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) },
    });
    const collected = await collectAccount(
      { source: collector, now: () => new Date() },
      { settings, regions: [MOTO_REGION] },
    );
    return { ...collected, origin: 'live' };
  } finally {
    clients.destroy();
  }
}
