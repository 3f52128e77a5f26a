import { Args, Flags } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../../base-command.ts';
import { parsePathMatch } from '../../haproxy/routes.ts';
import { addWebhook } from '../../services/webhooks.ts';
import { renderWebhookAdd } from '../../ui/webhook-text.ts';
import { webhookFlags, webhookTarget } from '../../webhook-flags.ts';

export default class WebhookAdd extends GatewayCommand<typeof WebhookAdd> {
  static override summary = "Register the gateway's URL for a route as a repository webhook at the provider.";

  static override description = `Registers (or brings up to date: never a second one) a webhook on the repository whose URL is the gateway's public address, as status reports it (or --url), plus PATH; content type JSON, TLS verification on. The route for PATH must exist.

When PATH routes to a Tekton EventListener, the events are the ones its triggers' provider interceptor accepts (its eventTypes, as the provider's hook events; Gitea's are checked by the GitHub interceptor) and the secret is the one that interceptor checks (the Secret its secretRef names: its value, or, when the Secret does not exist, a strong secret generated, the Secret created and the same value registered). A provider whose interceptor the listener lacks is refused. --events and --secret-from still decide; the result says where each came from.

--secret-from NAME[:KEY] names a Secret in the namespace of the route's backend (key secretToken by default), created with a new secret when missing. Without a listener or flags: push, and no secret. The secret is never printed.

The token comes from GITHUB_TOKEN or GH_TOKEN (else gh auth token), GITLAB_TOKEN or GITEA_TOKEN, and must be allowed to manage the repository's hooks.`;

  static override examples = [
    {
      description: 'A route to an EventListener: the events and secret its interceptor checks',
      command: '<%= config.bin %> <%= command.id %> /github --repo octo-org/app',
    },
    {
      description: 'GitHub: push and pull_request events, signed with the secret in a Secret',
      command:
        '<%= config.bin %> <%= command.id %> /github --repo octo-org/app --events push,pull_request --secret-from github-webhook',
    },
    {
      description: 'A self-managed GitLab, to a public address of your own',
      command:
        "<%= config.bin %> <%= command.id %> /gitlab --provider gitlab --api-url https://gitlab.example.com --repo team/app --events 'Push Hook,Merge Request Hook' --secret-from gitlab-webhook --url https://hooks.example.com",
    },
    {
      description: 'Gitea',
      command:
        '<%= config.bin %> <%= command.id %> /gitea --provider gitea --api-url https://gitea.example.com --repo team/app --secret-from gitea-webhook',
    },
  ];

  static override args = {
    path: Args.string({ description: 'The routed path the webhook sends to, e.g. /github.', required: true }),
  };

  static override flags = {
    ...webhookFlags,
    events: Flags.string({
      summary:
        "Events, comma-separated, as the provider's event header names them (GitHub, Gitea: push,pull_request; GitLab: 'Push Hook,Merge Request Hook'); default: what an EventListener's interceptor accepts, else push.",
    }),
    'secret-from': Flags.string({
      summary:
        "The Secret holding the webhook secret, NAME[:KEY] in the backend's namespace (KEY default secretToken; default: the one an EventListener's interceptor checks); created with a new secret when missing.",
    }),
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { args, flags } = this;
    parsePathMatch(args.path);
    const [name, key] = (flags['secret-from'] ?? '').split(':');
    const request = {
      ...webhookTarget(flags),
      path: args.path,
      events: flags.events,
      secretFrom: name ? { name, key: key || undefined } : undefined,
    };
    const kube = this.kube();
    return this.runWithProgress(
      (progress) => addWebhook(kube, request, progress),
      flags.output,
      renderWebhookAdd,
    );
  }
}
