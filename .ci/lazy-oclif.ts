/**
 * An esbuild plugin that makes @oclif/core's internal require() calls lazy.
 *
 * oclif's CommonJS files require every module they might use at the top (its index requires the help
 * renderer, the spinner, semver, ejs and the rest), so every command paid for loading all of oclif.
 * Here each top-level `const x_1 = require("…")` becomes a variable filled on first use, and the index's
 * `exports.Flags = __importStar(require("./flags"))` becomes a getter: a command loads only the parts of
 * oclif it touches. Only names TypeScript generated (`x_1`) are rewritten, and esbuild re-parses the
 * result, so a rewrite that broke the syntax fails the build rather than the CLI.
 */
import type { Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';

const REQUIRE_DECLARATION =
  /^(?:const|var) (\w+_\d+) = (__importDefault\(|__importStar\()?require\(("[^"]+")\)\)?;$/gm;
const REQUIRE_EXPORT = /^exports\.(\w+) = (__importStar\()require\(("[^"]+")\)\);$/gm;

/** The file's text with its top-level requires of packages and its own modules made lazy. */
export function lazyRequires(text: string): string {
  const lazy: Array<{ name: string; load: string }> = [];
  let rewritten = text.replace(
    REQUIRE_DECLARATION,
    (line, name: string, wrapper: string | undefined, specifier: string) => {
      // Node's built-ins cost nothing to require, and some are used at the top of the file.
      if (specifier.startsWith('"node:')) return line;
      lazy.push({ name, load: wrapper ? `${wrapper}require(${specifier}))` : `require(${specifier})` });
      return `/*lazy-require#${lazy.length - 1}*/`;
    },
  );
  for (const { name, load } of lazy) {
    rewritten = rewritten.replace(new RegExp(`(?<![.\\w$])${name}\\b`, 'g'), `(__lazy_${name} ??= ${load})`);
  }
  rewritten = rewritten.replace(/\/\*lazy-require#(\d+)\*\//g, (_, index: string) => {
    return `var __lazy_${lazy[Number(index)]?.name};`;
  });
  return rewritten.replace(
    REQUIRE_EXPORT,
    (_, name: string, wrapper: string, specifier: string) =>
      `var __lazy_export_${name}; Object.defineProperty(exports, "${name}", { enumerable: true, configurable: true, get: () => (__lazy_export_${name} ??= ${wrapper}require(${specifier}))) });`,
  );
}

export const lazyOclifRequires: Plugin = {
  name: 'lazy-oclif-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/ }, (args) => ({
      contents: lazyRequires(readFileSync(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};
