// Bundles the CLI into dist/iam-posture.mjs so `npx iam-posture` starts without a TypeScript loader.
// Code only some commands need (the AWS SDK for live scans and remediation) is split into chunks
// under dist/chunks/ that load on first use, so an offline scan starts fast.
//
// Builds may run while the CLI runs (tests in parallel): every file is written to a temporary name
// and renamed, chunks (content-hashed) before the entry, and old chunks are removed only when
// they are no longer current and older than a few minutes.
import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const outdir = resolve('dist');
const entry = join(outdir, 'iam-posture.mjs');
const STALE_CHUNK_MS = 10 * 60 * 1000;

const result = await build({
  entryPoints: { 'iam-posture': 'bin/iam-posture.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
  write: false,
});

const isEntry = (path) => path === entry || path === `${entry}.map`;
const files = [...result.outputFiles].sort((a, b) => Number(isEntry(a.path)) - Number(isEntry(b.path)));
for (const file of files) {
  await mkdir(dirname(file.path), { recursive: true });
  const temporary = `${file.path}.${process.pid}.tmp`;
  await writeFile(temporary, file.contents, { mode: file.path === entry ? 0o755 : 0o644 });
  await rename(temporary, file.path);
}
await chmod(entry, 0o755);

const current = new Set(files.map((file) => file.path));
const chunks = join(outdir, 'chunks');
for (const name of await readdir(chunks).catch(() => [])) {
  const path = join(chunks, name);
  if (current.has(path)) continue;
  const info = await stat(path).catch(() => undefined);
  if (info && Date.now() - info.mtimeMs > STALE_CHUNK_MS) await rm(path, { force: true });
}
