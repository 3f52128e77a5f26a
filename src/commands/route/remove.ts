import { Args, Flags } from '@oclif/core';
import { configDiffFlag, GatewayCommand, outputFlag, rolloutFlags } from '../../base-command.ts';
import { usageError } from '../../errors.ts';
import { parseHeaderMatch, parsePathMatch } from '../../haproxy/routes.ts';
import { parseDuration } from '../../kube/kubeconfig.ts';
import { locateGatewayAndSay } from '../../services/gateway.ts';
import { removeGatewayRoute } from '../../services/routes.ts';
import { renderRouteChange } from '../../ui/route-text.ts';

export default class RouteRemove extends GatewayCommand<typeof RouteRemove> {
  static override summary = 'Remove a route, ours or written by hand.';

  static override description = `Removes the route for PATH (or for --header NAME[=VALUE]) from the gateway's haproxy.cfg, with its backend when nothing else uses it, and rolls the gateway pods. Routes written by hand in the acl + use_backend style are removed the same way; every other line is kept as it is. The new config is checked by haproxy -c first, and a change the new pods crash on is rolled back (exit 9; --no-rollback keeps it).`;

  static override examples = [
    { description: 'Stop routing /github', command: '<%= config.bin %> <%= command.id %> /github' },
    {
      description: 'Remove a header route',
      command: '<%= config.bin %> <%= command.id %> --header X-Github-Event',
    },
    {
      description: 'See what would change',
      command: '<%= config.bin %> <%= command.id %> /github --dry-run',
    },
  ];

  static override args = {
    path: Args.string({ description: 'The routed path, e.g. /github (omit with --header).' }),
  };

  static override flags = {
    header: Flags.string({ summary: 'Remove the route on this header (NAME or NAME=VALUE).' }),
    'dry-run': configDiffFlag,
    ...rolloutFlags,
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { args, flags } = this;
    if ((args.path === undefined) === (flags.header === undefined)) {
      throw usageError(
        'route remove needs a PATH or --header NAME, one of the two',
        'it names the route to remove',
        ['kubectl trigger-gateway route list'],
      );
    }
    const match =
      flags.header !== undefined ? parseHeaderMatch(flags.header) : parsePathMatch(args.path ?? '');
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const kube = this.kube();
    return this.runWithProgress(
      async (progress) => {
        const location = await locateGatewayAndSay(kube, progress);
        const options = { dryRun: flags['dry-run'], wait: flags.wait, timeoutMs, rollback: flags.rollback };
        return removeGatewayRoute(kube, location, match, options, progress);
      },
      flags.output,
      renderRouteChange,
    );
  }
}
