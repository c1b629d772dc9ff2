// Bundles the CLI into dist/iam-posture.mjs so `npx iam-posture` starts without a TypeScript loader.
import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

const outfile = 'dist/iam-posture.mjs';
await build({
  entryPoints: ['bin/iam-posture.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
await chmod(outfile, 0o755);
