import { catalogEntries, formatCatalogJson, formatCatalogTable } from '../../functions/core/report';
import { RULES } from '../../functions/core/rules';
import { EXIT, type Io, loadSettings } from './io';

export interface RulesOptions {
  json?: boolean;
  config?: string;
}

/** `rules`: the rule catalog, with the thresholds in effect. */
export async function rulesCommand(options: RulesOptions, io: Io): Promise<number> {
  const settings = await loadSettings(options.config);
  const entries = catalogEntries(RULES, settings.thresholds);
  io.stdout.write(options.json ? formatCatalogJson(entries) : formatCatalogTable(entries));
  return EXIT.ok;
}
