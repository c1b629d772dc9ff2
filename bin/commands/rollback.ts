import { DEFAULT_SETTINGS } from '../../functions/core/settings';
import { rollbackRemediation } from '../../functions/use-cases/rollback';
import { EXIT, fail, type Io, steps } from './io';
import { cliActor, type RemediationCommandOptions, remediationWiringFor } from './remediate';

/**
 * `rollback`: restores the recorded before-state of a remediation request that executed, failed part-way,
 * or stopped without an outcome (`attention`, set by the sweeper).
 */
export async function rollbackCommand(
  requestId: string,
  options: RemediationCommandOptions,
  io: Io,
): Promise<number> {
  const { deps, close } = await remediationWiringFor(options, DEFAULT_SETTINGS, {
    protectedArns: [],
    breakGlassArns: [],
  });
  try {
    // An unknown id is an input error, as for remediate.
    if (!(await deps.requests.get(requestId))) {
      fail(`no remediation request ${requestId} in table ${options.table}`);
    }
    const outcome = await rollbackRemediation(requestId, cliActor(), deps);
    switch (outcome.outcome) {
      case 'rolled-back':
        for (const warning of outcome.warnings) io.stderr.write(`iam-posture: warning: ${warning}\n`);
        io.stdout.write(
          `Rolled back request ${requestId}: ${steps(outcome.request.steps?.length ?? 0)} restored and verified.\n`,
        );
        return EXIT.ok;
      case 'not-rolled-back':
        io.stdout.write(`${outcome.reason}\n`);
        return EXIT.findings;
      case 'failed':
        io.stdout.write(`${outcome.reason}\n${outcome.problems.map((p) => `  ${p}\n`).join('')}`);
        return EXIT.findings;
    }
  } finally {
    close();
  }
}
