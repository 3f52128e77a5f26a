import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The root help (`--help`, or no arguments) and `--version`, printed without loading oclif. The help
 * text is oclif's own, rendered at build time by .ci/root-help.ts for every terminal width; this only
 * picks the right one. Wherever oclif might print something else (a user theme, a width outside what
 * was rendered, a build from another version), the caller falls back to oclif.
 */

export const PRERENDERED_HELP_FILE = 'dist/root-help.json';
export const KUBECTL_PLUGIN_BIN = 'kubectl trigger-gateway';
export const USER_AGENT_PLACEHOLDER = '\u0000user-agent\u0000';

export interface PrerenderedRootHelp {
  version: string;
  variants: Array<{ bin: string; fromColumns: number; toColumns: number | null; text: string }>;
}

export interface CliPackage {
  name: string;
  version: string;
  oclif?: { bin?: string; dirname?: string };
}

interface Terminal {
  isTTY?: boolean;
  getWindowSize?: () => [number, number];
}

/** The width oclif's help wraps to: OCLIF_COLUMNS, else the terminal's (40 at least), else 80. */
export function helpColumns(env: NodeJS.ProcessEnv, stdout: Terminal): number {
  const fromEnv = Number.parseInt(env.OCLIF_COLUMNS ?? '', 10);
  if (fromEnv) return fromEnv;
  if (!stdout.isTTY || !stdout.getWindowSize) return 80;
  const [width] = stdout.getWindowSize();
  if (width < 1) return 80;
  return Math.max(width, 40);
}

/** What `--version` prints, as oclif's config.userAgent has it. */
export function userAgent(pjson: CliPackage): string {
  return `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`;
}

/** A user theme (oclif reads theme.json from its config folder) colours the help: only oclif can render that. */
function userThemeMayApply(pjson: CliPackage, env: NodeJS.ProcessEnv): boolean {
  if (process.platform === 'win32' || env.TRIGGER_GATEWAY_CONFIG_DIR) return true;
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return existsSync(join(configHome, pjson.oclif?.dirname ?? pjson.name, 'theme.json'));
}

/**
 * What the CLI prints for `argv` without oclif, or undefined when oclif has to run: for anything but the
 * root help and `--version`, and wherever the pre-rendered help might differ from oclif's. The help is
 * the one for the name in `pjson.oclif.bin`.
 */
export async function printedWithoutOclif(
  root: string,
  pjson: CliPackage,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  stdout: Terminal = process.stdout,
): Promise<string | undefined> {
  const version = userAgent(pjson);
  if (argv.length === 1 && argv[0] === '--version') return `${version}\n`;
  if (argv.length > 1 || (argv.length === 1 && argv[0] !== '--help')) return undefined;
  if (userThemeMayApply(pjson, env)) return undefined;
  let rendered: PrerenderedRootHelp;
  try {
    rendered = JSON.parse(readFileSync(join(root, PRERENDERED_HELP_FILE), 'utf8')) as PrerenderedRootHelp;
  } catch {
    return undefined;
  }
  if (rendered.version !== pjson.version || !Array.isArray(rendered.variants)) return undefined;
  const columns = helpColumns(env, stdout);
  // The VERSION line was rendered with a short placeholder: where the real one would wrap, ask oclif.
  if (version.length > columns - 4) return undefined;
  const bin = pjson.oclif?.bin ?? pjson.name;
  const variant = rendered.variants.find(
    (candidate) =>
      candidate.bin === bin &&
      candidate.fromColumns <= columns &&
      (candidate.toColumns === null || columns <= candidate.toColumns),
  );
  if (!variant) return undefined;
  // Loaded here, not at the top: every other command would pay for them before oclif runs.
  const [{ default: ansis }, { default: supportsColor }] = await Promise.all([
    import('ansis'),
    import('supports-color'),
  ]);
  const text = variant.text.replace(USER_AGENT_PLACEHOLDER, version);
  // oclif's rule for colouring help (its colorize()), with the same two libraries deciding.
  const bold = Boolean(supportsColor.stdout) && Boolean(supportsColor.stderr) && ansis.bold('x') !== 'x';
  return bold ? text : ansis.strip(text);
}
