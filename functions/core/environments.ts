/**
 * Which environment (production or not) an account belongs to. The settings map accounts by id
 * and OUs by id; in organization mode the scan knows each member account's OU path, and the
 * nearest mapped OU on that path decides. An account neither names is unmapped: rules that need
 * its environment say so instead of assuming one.
 */

/** The environments part of the scan settings (see `EnvironmentsSchema`). */
export interface EnvironmentRules {
  accounts: Readonly<Record<string, string>>;
  ous: Readonly<Record<string, string>>;
  production: readonly string[];
}

export interface AccountEnvironment {
  name: string;
  production: boolean;
  /** `account` when mapped by id, `ou:<ou id>` when by an OU of its path. */
  source: string;
}

/** Account id -> OU ids from the root down to the account's parent, as organization discovery lists them. */
export type AccountOuPaths = ReadonlyMap<string, readonly string[]>;

export type EnvironmentLookup = (accountId: string) => AccountEnvironment | undefined;

export function environmentLookup(
  settings: EnvironmentRules,
  ouPaths: AccountOuPaths = new Map(),
): EnvironmentLookup {
  const production = new Set(settings.production);
  const environment = (name: string, source: string): AccountEnvironment => ({
    name,
    production: production.has(name),
    source,
  });
  return (accountId) => {
    const byAccount = settings.accounts[accountId];
    if (byAccount !== undefined) return environment(byAccount, 'account');
    const path = ouPaths.get(accountId) ?? [];
    for (let i = path.length - 1; i >= 0; i--) {
      const ou = path[i]!;
      const byOu = settings.ous[ou];
      if (byOu !== undefined) return environment(byOu, `ou:${ou}`);
    }
    return undefined;
  };
}

/** True when at least one account or OU is mapped: without any, environment rules have nothing to read. */
export function environmentsConfigured(settings: EnvironmentRules): boolean {
  return Object.keys(settings.accounts).length > 0 || Object.keys(settings.ous).length > 0;
}
