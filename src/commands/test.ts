import { X509Certificate } from 'node:crypto';
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

  static override description = `Sends a delivery that looks and is signed like the provider's own to a route and tails the logs of the pods behind the route's Service while it does. A 2xx alone is no proof: when the route's backend is a Tekton EventListener, test succeeds only when the listener created something (a PipelineRun) for the event it answered with; for any other backend, only when the backend's own log shows the delivery.

For an EventListener it needs no secret flag: it finds the interceptor of the listener's triggers that checks the provider's signatures, signs with the Secret that interceptor reads and sends an event type the trigger accepts, and says which. When nothing is created in time, it says why it is likely and how to make the listener tell.

It sends to --url when given, else to the public address of the Ingress, HTTPRoute or Route that exposes the gateway, else through a port-forward to a gateway pod, and says which. When the public host name does not resolve here, it connects to the address the controller reports with that name in Host and TLS (as curl --resolve does), and says so.

An https:// gateway's certificate must chain to a CA this system trusts, or to the CAs in --certificate-authority.`;

  static override examples = [
    {
      description: 'Test the only route (or /trigger) with a GitHub push',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description:
        "A route to an EventListener: signed with its interceptor's own Secret, proven by the PipelineRun it starts",
      command: '<%= config.bin %> <%= command.id %> /github',
    },
    {
      description: 'A GitLab merge request, signed with the secret an EventListener uses',
      command:
        '<%= config.bin %> <%= command.id %> /gitlab --provider gitlab --event merge_request --secret-from gitlab-secret:secretToken',
    },
    {
      description: 'Through an https:// Ingress whose certificate a private CA signed',
      command: '<%= config.bin %> <%= command.id %> /github --certificate-authority ca.crt',
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
      summary: `Whose delivery to imitate: ${PROVIDERS.join(', ')} (default: what an EventListener checks, else github).`,
    }),
    event: Flags.string({
      summary:
        "The event, e.g. push or pull_request (default: the provider's push, or one the listener's trigger accepts).",
    }),
    payload: Flags.string({
      summary: 'Send this JSON file as the body, byte for byte, instead of the sample.',
    }),
    secret: Flags.string({
      summary: 'Webhook secret to sign with (prefer --secret-from: flags end up in shell history).',
      exclusive: ['secret-from'],
    }),
    'secret-from': Flags.string({
      summary:
        "Read the secret from a Secret in the backend namespace: NAME[:KEY] (KEY default secretToken; default: the Secret an EventListener's interceptor reads).",
    }),
    url: Flags.string({ summary: 'Send to this base URL instead of the Ingress or a port-forward.' }),
    'certificate-authority': Flags.string({
      summary: "Trust the CAs in this PEM file, instead of the system's, for the gateway's https:// URL.",
    }),
    follow: Flags.boolean({
      char: 'f',
      summary: 'Keep tailing the backend after the delivery arrived, until Ctrl-C.',
    }),
    timeout: Flags.string({
      summary: 'How long to wait for the listener to create something, or the backend to log the delivery.',
      default: '30s',
    }),
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { args, flags } = this;
    const provider = flags.provider === undefined ? undefined : parseProvider(flags.provider);
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
      certificateAuthority:
        flags['certificate-authority'] === undefined
          ? undefined
          : readCertificateAuthority(flags['certificate-authority']),
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

/** --certificate-authority: a PEM file holding at least one certificate, read before anything is sent. */
function readCertificateAuthority(file: string): { file: string; pem: Buffer } {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw usageError(
      `cannot read --certificate-authority ${file}`,
      error instanceof Error ? error.message : String(error),
    );
  }
  try {
    new X509Certificate(pem);
  } catch (error) {
    throw usageError(
      `--certificate-authority ${file} holds no PEM certificate`,
      `${error instanceof Error ? error.message : String(error)}; the file should start with -----BEGIN CERTIFICATE-----`,
      [
        "e.g. the CA of a cert-manager Issuer: kubectl get secret NAME -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt",
      ],
    );
  }
  return { file, pem };
}
