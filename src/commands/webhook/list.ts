import { GatewayCommand, outputFlag } from '../../base-command.ts';
import { listWebhooks } from '../../services/webhooks.ts';
import { renderWebhookList } from '../../ui/webhook-text.ts';
import { webhookFlags, webhookTarget } from '../../webhook-flags.ts';

export default class WebhookList extends GatewayCommand<typeof WebhookList> {
  static override summary = "List the repository's webhooks that point at this gateway.";

  static override description = `Shows each of the repository's webhooks whose URL is under the gateway's public address (as status reports it, or --url): the route that serves it, its events, and the last delivery where the provider's API tells (GitHub: status and time, from the hook's deliveries; GitLab 17.3 and later: the status of the newest event, without a time; Gitea's API keeps no delivery history: kubectl trigger-gateway deliveries shows what reached the gateway).`;

  static override examples = [
    { description: 'GitHub', command: '<%= config.bin %> <%= command.id %> --repo octo-org/app' },
    {
      description: 'Gitea, as JSON',
      command:
        '<%= config.bin %> <%= command.id %> --provider gitea --api-url https://gitea.example.com --repo team/app -o json',
    },
  ];

  static override flags = { ...webhookFlags, output: outputFlag };

  public async run(): Promise<unknown> {
    const kube = this.kube();
    const request = webhookTarget(this.flags);
    return this.runWithProgress(
      (progress) => listWebhooks(kube, request, progress),
      this.flags.output,
      renderWebhookList,
    );
  }
}
