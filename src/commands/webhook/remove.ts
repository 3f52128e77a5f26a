import { Args } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../../base-command.ts';
import { parsePathMatch } from '../../haproxy/routes.ts';
import { removeWebhook } from '../../services/webhooks.ts';
import { renderWebhookRemove } from '../../ui/webhook-text.ts';
import { webhookFlags, webhookTarget } from '../../webhook-flags.ts';

export default class WebhookRemove extends GatewayCommand<typeof WebhookRemove> {
  static override summary = "Delete the repository's webhook for a route of this gateway.";

  static override description = `Deletes the repository's webhooks whose URL is the gateway's public address (as status reports it, or --url) plus PATH, and no other. The Secret holding its secret is kept: the EventListener may still read it.`;

  static override examples = [
    { description: 'GitHub', command: '<%= config.bin %> <%= command.id %> /github --repo octo-org/app' },
    {
      description: 'GitLab',
      command: '<%= config.bin %> <%= command.id %> /gitlab --provider gitlab --repo team/app',
    },
  ];

  static override args = {
    path: Args.string({ description: 'The routed path the webhook sends to, e.g. /github.', required: true }),
  };

  static override flags = { ...webhookFlags, output: outputFlag };

  public async run(): Promise<unknown> {
    const { args, flags } = this;
    parsePathMatch(args.path);
    const kube = this.kube();
    const request = { ...webhookTarget(flags), path: args.path };
    return this.runWithProgress(
      (progress) => removeWebhook(kube, request, progress),
      flags.output,
      renderWebhookRemove,
    );
  }
}
