/**
 * Builds dist/: one esbuild bundle of the CLI, shared by the npm package and the single executables.
 *
 *   npx tsx .ci/build.ts            (npm run build runs it, then `oclif manifest` and .ci/root-help.ts)
 *
 * Entry points are the CLI and each command file, kept at dist/cli.js and dist/commands/<topic>/<name>.js
 * because oclif's manifest loads a command by that path. Code they share, our dependencies included,
 * goes to dist/chunks/, so a command loads only what it imports: `route list` never parses ink, React or
 * @kubernetes/client-node, which are dynamic imports for the one command (or credential kind) that
 * needs them. One bundled file per command starts faster than hundreds of node_modules files, which
 * Node would have to find and read one by one. Type checking is `npm run typecheck`'s job, not this one.
 */
import { build } from 'esbuild';
import { lazyOclifRequires } from './lazy-oclif.ts';
import { globSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Bundles src/ into `outdir` (dist/ by default); returns the files written. */
export async function bundleCli(outdir = join(REPO_ROOT, 'dist')): Promise<string[]> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const entryPoints = ['src/cli.ts', ...globSync('src/commands/**/*.ts', { cwd: REPO_ROOT })].map((entry) =>
    join(REPO_ROOT, entry),
  );
  const result = await build({
    entryPoints,
    outdir,
    outbase: join(REPO_ROOT, 'src'),
    absWorkingDir: REPO_ROOT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    chunkNames: 'chunks/[name]-[hash]',
    // React and its reconciler ship a development build that is slower and keeps more in memory.
    define: { 'process.env.NODE_ENV': '"production"' },
    // CommonJS dependencies (oclif) call require() for Node's built-ins; ESM output has none of its own.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';const require = __createRequire(import.meta.url);",
    },
    // Only ever loaded behind a guard: oclif reads tsconfig with TypeScript in development only, and
    // ink loads its devtools bridge only when DEV=true and the package is installed.
    external: ['typescript', 'react-devtools-core'],
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    // oclif's modules load when first used, not all at start-up.
    plugins: [lazyOclifRequires],
    logLevel: 'warning',
  });
  return Object.keys(result.metafile.outputs);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await bundleCli();
  console.log(`dist/: ${files.length} files bundled from src/`);
}
