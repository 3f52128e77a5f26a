import { Args, Flags } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../../base-command.ts';
import { parsePathMatch } from '../../haproxy/routes.ts';
import { parseDuration } from '../../kube/kubeconfig.ts';
import { testWebhook } from '../../services/webhook-test.ts';
import { renderWebhookTest } from '../../ui/webhook-text.ts';
import { webhookFlags, webhookTarget } from '../../webhook-flags.ts';

export default class WebhookTest extends GatewayCommand<typeof WebhookTest> {
  static override summary =
    "Have the provider send the route's webhook a real push, and follow it to what it started.";

  static override description = `Asks the provider to send the repository's webhook for PATH a test delivery, a push signed with the hook's own secret (GitHub and Gitea: POST /repos/{owner}/{repo}/hooks/{id}/tests, the latest push; GitLab: POST /projects/:id/hooks/:hook_id/test/push_events), then follows it: its delivery ID, the gateway's record of it (as deliveries --id shows it) and, when the route's backend is a Tekton EventListener, what the listener created for it (a PipelineRun). It succeeds only when the listener created something, or, for any other backend, when the backend answered 2xx.

GitHub's hook deliveries and GitLab's hook events (17.3 and later) name the delivery and keep the listener's answer, whose eventID labels what it created. Gitea's API names no delivery: the gateway's first new Gitea record on the route is taken as it, and the first object the listener creates after the request gives the eventID (another delivery at the same moment could pass for it).

When nothing is created in time, it says why that is likely; the hook's secret is never shown by any provider, so "webhook add PATH" registers the listener's own again.`;

  static override examples = [
    {
      description: 'GitHub: the push, the gateway, the listener, the PipelineRun',
      command: '<%= config.bin %> <%= command.id %> /github --repo octo-org/app',
    },
    {
      description: 'Gitea, as JSON, waiting up to two minutes',
      command:
        '<%= config.bin %> <%= command.id %> /github --provider gitea --api-url https://gitea.example.com --repo team/app --timeout 2m -o json',
    },
  ];

  static override args = {
    path: Args.string({ description: 'The routed path the webhook sends to, e.g. /github.', required: true }),
  };

  static override flags = {
    ...webhookFlags,
    timeout: Flags.string({
      summary: 'How long to wait for the delivery and for what the listener creates.',
      default: '30s',
    }),
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { args, flags } = this;
    parsePathMatch(args.path);
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const interrupt = new AbortController();
    const onInterrupt = () => interrupt.abort();
    process.once('SIGINT', onInterrupt);
    const request = { ...webhookTarget(flags), path: args.path, timeoutMs, interrupt: interrupt.signal };
    const kube = this.kube();
    try {
      return await this.runWithProgress(
        (progress) => testWebhook(kube, request, progress),
        flags.output,
        renderWebhookTest,
      );
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  }
}
