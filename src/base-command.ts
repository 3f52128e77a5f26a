import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import * as yaml from 'js-yaml';
import { ExitCode, formatGatewayError, GatewayError } from './errors.ts';
import { KubeClient } from './kube/client.ts';
import { DEFAULT_NAMESPACE, parseDuration, resolveKubeTarget } from './kube/kubeconfig.ts';
import { createProgress, type Progress } from './ui/progress.ts';

export type OutputFormat = 'json' | 'yaml';

/** `-o json|yaml` for commands that return a result. */
export const outputFlag = Flags.option({
  char: 'o',
  options: ['json', 'yaml'] as const,
  summary: 'Print the result as json or yaml instead of text.',
})();

/** --wait/--no-wait and --timeout, for every command that rolls the gateway pods. */
export const rolloutFlags = {
  wait: Flags.boolean({
    summary: 'Wait until the gateway pods run the new config.',
    default: true,
    allowNo: true,
  }),
  timeout: Flags.string({ summary: 'How long to wait for the rollout, e.g. 5m.', default: '5m' }),
  rollback: Flags.boolean({
    summary:
      'When a new gateway pod crashes on the change, put the previous haproxy.cfg and pod template back (--no-rollback keeps the failed state).',
    default: true,
    allowNo: true,
  }),
};

/** --dry-run for the commands that edit haproxy.cfg. */
export const configDiffFlag = Flags.boolean({ summary: 'Print the haproxy.cfg diff and change nothing.' });

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof GatewayCommand)['baseFlags'] & T['flags']
>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * Flags every command shares, kubectl's way of finding the cluster, and error rendering:
 * each command only parses its own flags, calls one service and renders what comes back.
 */
export abstract class GatewayCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    kubeconfig: Flags.string({
      summary: 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).',
      helpGroup: 'KUBERNETES',
    }),
    context: Flags.string({ summary: 'Name of the kubeconfig context to use.', helpGroup: 'KUBERNETES' }),
    namespace: Flags.string({
      char: 'n',
      summary: "Namespace of the gateway (default: the context's namespace, else trigger-gateway).",
      helpGroup: 'KUBERNETES',
    }),
    'request-timeout': Flags.string({
      summary: 'How long to wait for one API request, e.g. 30s or 1m; 0 means no limit.',
      default: '30s',
      helpGroup: 'KUBERNETES',
    }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: CommandArgs<T>;
  private kubeClient: KubeClient | undefined;

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof GatewayCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  /** The API client for the cluster the flags and kubeconfig point at, created on first use. */
  protected kube(): KubeClient {
    if (!this.kubeClient) {
      const target = resolveKubeTarget({
        kubeconfig: this.flags.kubeconfig,
        context: this.flags.context,
        namespace: this.flags.namespace,
        requestTimeoutMs: parseDuration(this.flags['request-timeout'], 'request-timeout'),
      });
      this.kubeClient = new KubeClient(target);
    }
    return this.kubeClient;
  }

  /**
   * The namespace kubectl would use, for commands that may run without a cluster (--dry-run):
   * reading the kubeconfig needs no server, and without one the flag or our default decides.
   */
  protected namespaceOffline(): string {
    try {
      return this.kube().namespace;
    } catch {
      return this.flags.namespace ?? DEFAULT_NAMESPACE;
    }
  }

  /**
   * Runs work that reports progress on stderr, and prints its result on stdout once the progress
   * display is gone (a spinner must never share a line with the result).
   */
  protected async runWithProgress<R>(
    work: (progress: Progress) => Promise<R>,
    format: OutputFormat | undefined,
    text: (result: R) => string,
  ): Promise<R> {
    const progress = createProgress();
    try {
      const result = await work(progress);
      progress.stop();
      this.printResult(result, format, text);
      return result;
    } finally {
      progress.stop();
    }
  }

  /** Results go to stdout: as json/yaml when asked, else as the command's own text. */
  protected printResult<R>(result: R, format: OutputFormat | undefined, text: (result: R) => string): void {
    if (format === 'json') process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (format === 'yaml') process.stdout.write(yaml.dump(result, { noRefs: true, lineWidth: -1 }));
    else {
      const rendered = text(result);
      if (rendered) process.stdout.write(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
    }
  }

  protected override async catch(error: Interfaces.CommandError): Promise<unknown> {
    if (error instanceof GatewayError) {
      process.stderr.write(formatGatewayError(error));
      throw new Errors.ExitError(error.exitCode);
    }
    if (error instanceof Errors.CLIError && error.oclif?.exit === undefined)
      error.oclif.exit = ExitCode.usage;
    return super.catch(error);
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    await this.kubeClient?.close();
    return super.finally(error);
  }
}
