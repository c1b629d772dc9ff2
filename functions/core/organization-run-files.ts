/**
 * Where an organization run keeps its files in the runs bucket: the account list the state
 * machine's Map reads, one checkpoint per account still collecting, one outcome per account
 * finished, and the run record. Every key is under `runs/<run id>/`, so a run's files are listed,
 * kept and expired together.
 */

/** A run id is the state machine execution's name: it becomes part of S3 keys and STS session names. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
export const RUN_ID_RULE = 'a run id is 1 to 80 letters, digits, - or _';

const ACCOUNT_ID = /^\d{12}$/;

export interface RunFileKeys {
  prefix: string;
  accounts: string;
  outcomesPrefix: string;
  run: string;
  checkpoint(accountId: string): string;
  outcome(accountId: string): string;
}

/** Throws when `runId` could not be part of a key (an execution name never fails this). */
export function runFileKeys(runId: string): RunFileKeys {
  if (!RUN_ID_PATTERN.test(runId)) throw new RangeError(`invalid run id "${runId}": ${RUN_ID_RULE}`);
  const prefix = `runs/${runId}/`;
  const account = (accountId: string) => {
    if (!ACCOUNT_ID.test(accountId)) throw new RangeError(`invalid account id "${accountId}": 12 digits`);
    return accountId;
  };
  return {
    prefix,
    accounts: `${prefix}accounts.json`,
    outcomesPrefix: `${prefix}outcomes/`,
    run: `${prefix}run.json`,
    checkpoint: (accountId) => `${prefix}checkpoints/${account(accountId)}.json`,
    outcome: (accountId) => `${prefix}outcomes/${account(accountId)}.json`,
  };
}

/** The account an outcome key is about, or undefined for a key that is not one of a run's outcomes. */
export function outcomeKeyAccount(keys: RunFileKeys, key: string): string | undefined {
  if (!key.startsWith(keys.outcomesPrefix)) return undefined;
  const match = /^(\d{12})\.json$/.exec(key.slice(keys.outcomesPrefix.length));
  return match?.[1];
}
