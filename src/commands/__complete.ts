import { Command } from '@oclif/core';
import { type CommandSpec, complete, type Completion, formatCompletion } from '../completion.ts';
import { describeMatch } from '../haproxy/routes.ts';
import { KubeClient } from '../kube/client.ts';
import { resolveKubeTarget } from '../kube/kubeconfig.ts';
import { locateGateway } from '../services/gateway.ts';
import { listGatewayRoutes } from '../services/routes.ts';

/** The value after a flag in the words typed so far (`--context x` or `--context=x`). */
function flagValue(words: string[], ...names: string[]): string | undefined {
  for (let index = words.length - 2; index >= 0; index--) {
    const word = words[index] ?? '';
    for (const name of names) {
      if (word === name) return words[index + 1];
      if (word.startsWith(`${name}=`)) return word.slice(name.length + 1);
    }
  }
  return undefined;
}

export default class Complete extends Command {
  static override hidden = true;
  static override strict = false;
  static override summary = 'Shell completion for kubectl (run by kubectl_complete-trigger_gateway).';

  public async run(): Promise<void> {
    const words = this.argv.length > 0 ? this.argv : [''];
    const commands: CommandSpec[] = this.config.commands.map((command) => ({
      id: command.id,
      summary: command.summary,
      hidden: command.hidden,
      args: Object.keys(command.args ?? {}),
      flags: Object.entries(command.flags ?? {}).map(([name, flag]) => ({
        name,
        char: flag.char,
        type: flag.type === 'boolean' ? 'boolean' : 'option',
        summary: flag.summary,
        options: flag.type === 'option' ? flag.options : undefined,
        hidden: flag.hidden,
      })),
    }));
    const completion = complete(commands, words);
    if (completion.dynamic) {
      const partial = words.at(-1) ?? '';
      const values = await this.dynamicValues(completion.dynamic, words).catch(() => []);
      completion.candidates.push(
        ...values.filter((value) => value.startsWith(partial)).map((value) => ({ value })),
      );
    }
    process.stdout.write(formatCompletion(completion));
  }

  /** Route paths from the gateway, or the kubeconfig's contexts; nothing when they cannot be read. */
  private async dynamicValues(kind: NonNullable<Completion['dynamic']>, words: string[]): Promise<string[]> {
    const target = resolveKubeTarget({
      kubeconfig: flagValue(words, '--kubeconfig'),
      context: kind === 'contexts' ? undefined : flagValue(words, '--context'),
      namespace: flagValue(words, '--namespace', '-n'),
      requestTimeoutMs: 5000,
    });
    if (kind === 'contexts') return target.contexts;
    const kube = new KubeClient(target);
    try {
      const routes = await listGatewayRoutes(kube, await locateGateway(kube));
      return routes.map((route) => describeMatch(route.match)).filter((match) => match.startsWith('/'));
    } finally {
      await kube.close();
    }
  }
}
