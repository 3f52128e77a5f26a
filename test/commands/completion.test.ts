import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import { type CommandSpec, complete } from '../../src/completion.ts';
import { pluginPath, runCommand, runExecutable } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';

const COMMANDS: CommandSpec[] = [
  {
    id: 'route:remove',
    summary: 'Remove a route.',
    args: ['path'],
    flags: [
      { name: 'namespace', char: 'n', type: 'option', summary: 'Namespace.' },
      { name: 'output', char: 'o', type: 'option', options: ['json', 'yaml'] },
      { name: 'dry-run', type: 'boolean', summary: 'Change nothing.' },
      { name: 'context', type: 'option' },
      { name: 'kubeconfig', type: 'option' },
    ],
  },
  { id: 'route:list', summary: 'List the routes.', args: [], flags: [] },
  { id: 'status', summary: 'Watch the gateway.', args: [], flags: [] },
  { id: '__complete', hidden: true, args: [], flags: [] },
];

describe('complete', () => {
  it('offers commands and topics, never hidden ones', () => {
    expect(complete(COMMANDS, ['']).candidates.map((c) => c.value)).toEqual(['route', 'status']);
    expect(complete(COMMANDS, ['route', '']).candidates).toEqual([
      { value: 'list', description: 'List the routes.' },
      { value: 'remove', description: 'Remove a route.' },
    ]);
    expect(complete(COMMANDS, ['route', 're']).candidates.map((c) => c.value)).toEqual(['remove']);
  });

  it("offers a command's flags, and the values of a flag with choices", () => {
    expect(complete(COMMANDS, ['route', 'remove', '--d']).candidates).toEqual([
      { value: '--dry-run', description: 'Change nothing.' },
    ]);
    expect(complete(COMMANDS, ['route', 'remove', '-o', '']).candidates.map((c) => c.value)).toEqual([
      'json',
      'yaml',
    ]);
  });

  it('asks for route paths where a route path goes, even after flags with values', () => {
    expect(complete(COMMANDS, ['route', 'remove', '']).dynamic).toBe('routes');
    expect(complete(COMMANDS, ['route', 'remove', '-n', 'ci', '/g']).dynamic).toBe('routes');
    expect(complete(COMMANDS, ['route', 'remove', '/github', '']).dynamic).toBeUndefined();
  });

  it('leaves files to the shell for --kubeconfig, and asks for contexts for --context', () => {
    expect(complete(COMMANDS, ['route', 'remove', '--kubeconfig', '']).directive).toBe(0);
    expect(complete(COMMANDS, ['route', 'remove', '--context', '']).dynamic).toBe('contexts');
  });
});

describe('through kubectl', () => {
  let plane: ControlPlane;
  let kubeconfig: string;
  beforeAll(async () => {
    plane = await startControlPlane();
    kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-complete-')), 'kubeconfig'));
    expect((await runCommand(Install, ['--kubeconfig', kubeconfig, '--no-wait'])).exitCode).toBe(0);
    for (const path of ['/github', '/gitlab']) {
      const added = await runCommand(RouteAdd, ['--kubeconfig', kubeconfig, path, 'el.ci:8080', '--no-wait']);
      expect(added.exitCode, added.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await plane.stop();
  });

  it('kubectl __complete (what its bash and zsh completion call) gets route paths from the gateway', async () => {
    const result = await runExecutable(
      'kubectl',
      ['__complete', 'trigger-gateway', 'route', 'remove', '/gi'],
      {
        KUBECONFIG: kubeconfig,
      },
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('/github\n/gitlab\n:4\n');
  });

  it("kubectl's own bash completion completes the plugin's subcommands", async () => {
    // bash-completion's word splitter, reduced to what kubectl's script asks of it.
    const script = `
      _get_comp_words_by_ref() { cur="\${COMP_WORDS[COMP_CWORD]}"; prev="\${COMP_WORDS[COMP_CWORD-1]}"; words=("\${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
      compopt() { :; }
      source <(kubectl completion bash)
      COMP_WORDS=(kubectl trigger-gateway route "")
      COMP_CWORD=3
      COMP_LINE="kubectl trigger-gateway route "
      COMP_POINT=\${#COMP_LINE}
      __start_kubectl kubectl "" route
      printf '%s\\n' "\${COMPREPLY[@]}"`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        ['-c', script],
        {
          env: { PATH: pluginPath(), HOME: mkdtempSync(join(tmpdir(), 'tg-home-')), KUBECONFIG: kubeconfig },
        },
        (error, out) => (error ? reject(error) : resolve(out)),
      );
    });
    expect(stdout.split('\n').filter(Boolean)).toEqual(['add', 'list', 'remove']);
  });

  it('says nothing, and no error, when the cluster cannot be reached', async () => {
    const result = await runExecutable('kubectl', ['__complete', 'trigger-gateway', 'test', ''], {
      KUBECONFIG: '/nonexistent/kubeconfig',
    });
    expect(result.stdout).toBe(':4\n');
  });
});
