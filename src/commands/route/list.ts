import { GatewayCommand, outputFlag } from '../../base-command.ts';
import { locateGateway } from '../../services/gateway.ts';
import { listGatewayRoutes } from '../../services/routes.ts';
import { renderRouteTable } from '../../ui/route-text.ts';

export default class RouteList extends GatewayCommand<typeof RouteList> {
  static override summary = 'List the routes: ours and those written by hand.';

  static override description = `Shows every route in the gateway's haproxy.cfg: what it matches (a path or a header), where it sends requests, whether this tool added it or it was written by hand, and whether the backend Service exists.`;

  static override examples = [
    { description: 'The routes as a table', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Routes whose Service is missing',
      command: `<%= config.bin %> <%= command.id %> -o json | jq '.[] | select(.serviceExists == false)'`,
    },
  ];

  static override flags = { output: outputFlag };

  public async run(): Promise<unknown> {
    const kube = this.kube();
    const location = await locateGateway(kube);
    const routes = await listGatewayRoutes(kube, location);
    this.printResult(routes, this.flags.output, renderRouteTable);
    return routes;
  }
}
