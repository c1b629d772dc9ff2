/**
 * Vitest global setup: bundles the CLI into dist/iam-posture.mjs before any test runs, so the CLI
 * tests spawn the binary users get, built from the sources under test.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, stdio: 'inherit' });
}
