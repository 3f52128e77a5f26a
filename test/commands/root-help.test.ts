import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CliPackage,
  KUBECTL_PLUGIN_BIN,
  printedWithoutOclif,
  PRERENDERED_HELP_FILE,
  userAgent,
} from '../../src/root-help.ts';
import { KUBECTL, pluginPath, REPO_ROOT, runExecutable } from '../support/cli.ts';

const RUN_JS = join(REPO_ROOT, 'bin', 'run.js');
const pjson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as CliPackage;
const DIRECT_BIN = pjson.oclif?.bin ?? pjson.name;
const NOT_A_TTY = { isTTY: false };
/** The package as the CLI sees it when started under `bin`'s name. */
const named = (bin: string): CliPackage => ({ ...pjson, oclif: { ...pjson.oclif, bin } });
const noTheme = () => ({ XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'tg-config-')) });
/** A config folder of oclif's own makes the CLI leave the root help to oclif: what oclif itself prints. */
const oclifItself = () => ({ TRIGGER_GATEWAY_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'tg-oclif-')) });

/** `--help` on a pseudo-terminal of 100 columns (`script`), so that colour and width come from it. */
function helpOnTerminal(env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'script',
      ['-qec', `stty cols 100; ${RUN_JS} --help`, '/dev/null'],
      { env: { PATH: pluginPath(), HOME: tmpdir(), TERM: 'xterm-256color', ...env } },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}

describe('the root help and --version, printed without loading oclif', () => {
  it.each([40, 57, 63, 80, 81, 100, 200])(
    'match what oclif prints at %i columns, for both names of the CLI',
    async (columns) => {
      const env = { OCLIF_COLUMNS: String(columns) };
      const [direct, plugin] = await Promise.all([
        runExecutable(RUN_JS, ['--help'], { ...env, ...oclifItself() }),
        runExecutable(RUN_JS, ['--help'], {
          ...env,
          ...oclifItself(),
          TRIGGER_GATEWAY_AS_KUBECTL_PLUGIN: '1',
        }),
      ]);
      expect(direct.exitCode).toBe(0);
      expect(plugin.stdout).toContain(`$ ${KUBECTL_PLUGIN_BIN} [COMMAND]`);
      const fast = (bin: string) =>
        printedWithoutOclif(REPO_ROOT, named(bin), ['--help'], { ...env, ...noTheme() }, NOT_A_TTY);
      // Narrower than the VERSION line, the placeholder would wrap differently: oclif renders those.
      if (userAgent(pjson).length > columns - 4) {
        expect(await fast(DIRECT_BIN)).toBeUndefined();
        return;
      }
      expect(await fast(DIRECT_BIN)).toBe(direct.stdout);
      expect(await fast(KUBECTL_PLUGIN_BIN)).toBe(plugin.stdout);
    },
  );

  it('through kubectl: --help, no arguments and --version print exactly what oclif prints', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tg-home-'));
    const kubectl = (args: string[], env: Record<string, string>) =>
      runExecutable(KUBECTL, ['trigger-gateway', ...args], { HOME: home, ...env });
    for (const args of [['--help'], [], ['--version']]) {
      const [fast, oclif] = await Promise.all([kubectl(args, noTheme()), kubectl(args, oclifItself())]);
      expect(fast.exitCode, `${args.join(' ')}: ${fast.stderr}`).toBe(0);
      expect(fast.stdout).toBe(oclif.stdout);
      expect(fast.stderr).toBe('');
    }
    const version = await kubectl(['--version'], noTheme());
    expect(version.stdout).toBe(
      `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`,
    );
  });

  it('on a terminal, bolds the section headers as oclif does, at the terminal width', async () => {
    const [fast, oclif] = await Promise.all([helpOnTerminal(noTheme()), helpOnTerminal(oclifItself())]);
    expect(fast).toContain('\u001b[1mCOMMANDS\u001b[22m');
    expect(fast).toBe(oclif);
  });

  it('leaves the help to oclif when a user theme, a stale build or another command is involved', async () => {
    const themed = mkdtempSync(join(tmpdir(), 'tg-config-'));
    mkdirSync(join(themed, 'trigger-gateway'));
    writeFileSync(join(themed, 'trigger-gateway', 'theme.json'), '{"sectionHeader": "red"}');
    const env = { OCLIF_COLUMNS: '100' };
    const fast = (argv: string[], extra: Record<string, string>, root = REPO_ROOT, pkg = pjson) =>
      printedWithoutOclif(root, pkg, argv, { ...env, ...extra }, NOT_A_TTY);
    expect(await fast(['--help'], noTheme())).toContain('COMMANDS');
    expect(await fast(['--help'], { XDG_CONFIG_HOME: themed })).toBeUndefined();
    expect(await fast(['--help'], { ...noTheme(), TRIGGER_GATEWAY_CONFIG_DIR: themed })).toBeUndefined();
    expect(await fast(['route', '--help'], noTheme())).toBeUndefined();
    expect(await fast(['--help', 'route'], noTheme())).toBeUndefined();
    expect(await fast(['route', 'list'], noTheme())).toBeUndefined();
    expect(await fast(['--help'], noTheme(), REPO_ROOT, { ...pjson, version: '99.0.0' })).toBeUndefined();
    expect(await fast(['--help'], noTheme(), mkdtempSync(join(tmpdir(), 'tg-no-dist-')))).toBeUndefined();
    const damaged = mkdtempSync(join(tmpdir(), 'tg-damaged-dist-'));
    mkdirSync(join(damaged, 'dist'));
    writeFileSync(join(damaged, PRERENDERED_HELP_FILE), JSON.stringify({ version: pjson.version }));
    expect(await fast(['--help'], noTheme(), damaged)).toBeUndefined();
    expect(readFileSync(join(REPO_ROOT, PRERENDERED_HELP_FILE), 'utf8')).toContain(pjson.version);
  });

  it("with a user theme, oclif renders the root help in the user's colours", async () => {
    const themed = mkdtempSync(join(tmpdir(), 'tg-config-'));
    mkdirSync(join(themed, 'trigger-gateway'));
    writeFileSync(join(themed, 'trigger-gateway', 'theme.json'), '{"sectionHeader": "red"}');
    expect(await helpOnTerminal({ XDG_CONFIG_HOME: themed })).toContain('\u001b[31m\u001b[1mCOMMANDS');
  });
});
