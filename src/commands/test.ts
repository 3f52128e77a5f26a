import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../base-command.ts';
import { usageError } from '../errors.ts';
import { parseDuration } from '../kube/kubeconfig.ts';
import { type DeliveryTestResult, testDelivery } from '../services/test-delivery.ts';
import { podLogPrinter } from '../ui/log-lines.ts';
import { renderDeliveryTest } from '../ui/test-text.ts';
import { parseProvider, PROVIDERS } from '../webhook/index.ts';

export default class Test extends GatewayCommand<typeof Test> {
  static override summary = 'Fire a signed sample webhook through the gateway and prove the backend got it.';

  static override description = `Sends a delivery that looks and is signed like the provider's own to a route, tails the logs of the pods behind the route's Service while it does, and succeeds only when the backend's own log shows that delivery (its delivery ID, or the eventID an EventListener answers with): a 2xx alone is no proof.

It sends to --url when given, else to the Ingress's address, else through a port-forward to a gateway pod, and says which.`;

  static override examples = [
    {
      description: 'Test the only route (or /trigger) with a GitHub push',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'A GitLab merge request, signed with the secret an EventListener uses',
      command:
        '<%= config.bin %> <%= command.id %> /gitlab --provider gitlab --event merge_request --secret-from gitlab-secret:secretToken',
    },
    {
      description: 'Your own payload through the public URL',
      command:
        '<%= config.bin %> <%= command.id %> /github --payload push.json --url https://hooks.example.com',
    },
  ];

  static override args = {
    path: Args.string({ description: 'The routed path to test (default: the only route, else /trigger).' }),
  };

  static override flags = {
    provider: Flags.string({
      summary: `Whose delivery to imitate: ${PROVIDERS.join(', ')}.`,
      default: 'github',
    }),
    event: Flags.string({ summary: "The event, e.g. push or pull_request (default: the provider's push)." }),
    payload: Flags.string({
      summary: 'Send this JSON file as the body, byte for byte, instead of the sample.',
    }),
    secret: Flags.string({
      summary: 'Webhook secret to sign with (prefer --secret-from: flags end up in shell history).',
      exclusive: ['secret-from'],
    }),
    'secret-from': Flags.string({
      summary:
        'Read the secret from a Secret in the backend namespace: NAME[:KEY] (KEY default secretToken).',
    }),
    url: Flags.string({ summary: 'Send to this base URL instead of the Ingress or a port-forward.' }),
    follow: Flags.boolean({
      char: 'f',
      summary: 'Keep tailing the backend after the delivery arrived, until Ctrl-C.',
    }),
    timeout: Flags.string({
      summary: 'How long to wait for the backend to log the delivery.',
      default: '30s',
    }),
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { args, flags } = this;
    const provider = parseProvider(flags.provider);
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const payload =
      flags.payload === undefined
        ? undefined
        : { bytes: this.readPayload(flags.payload), name: flags.payload };
    const [secretName, secretKey] = (flags['secret-from'] ?? '').split(':');
    const interrupt = new AbortController();
    const onInterrupt = () => interrupt.abort();
    process.once('SIGINT', onInterrupt);
    let reported = false;
    const request = {
      path: args.path,
      provider,
      event: flags.event,
      payload,
      secret: flags.secret,
      secretFrom: secretName ? { name: secretName, key: secretKey || undefined } : undefined,
      url: flags.url,
      timeoutMs,
      onLogLine: podLogPrinter(),
      interrupt: interrupt.signal,
      follow: flags.follow
        ? (result: DeliveryTestResult) => {
            reported = true;
            this.printResult(result, flags.output, renderDeliveryTest);
          }
        : undefined,
    };
    const kube = this.kube();
    try {
      return await this.runWithProgress(
        (progress) => testDelivery(kube, request, progress),
        // With --follow the result was printed when the delivery arrived, before the tailing went on.
        flags.follow ? undefined : flags.output,
        (result) => (reported ? '' : renderDeliveryTest(result)),
      );
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  }

  private readPayload(file: string): Buffer {
    try {
      return readFileSync(file);
    } catch (error) {
      throw usageError(
        `cannot read --payload ${file}`,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
}
