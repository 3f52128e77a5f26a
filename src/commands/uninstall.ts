import { Flags } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../base-command.ts';
import { ECHO_ROUTE } from '../manifests/render.ts';
import { uninstallGateway } from '../services/uninstall.ts';
import { renderUninstallResult } from '../ui/install-text.ts';

export default class Uninstall extends GatewayCommand<typeof Uninstall> {
  static override summary = 'Remove the gateway, and only what install created.';

  static override description = `Finds the objects install created by their app.kubernetes.io/managed-by label, in the gateway namespace and the echo backend's namespace, and deletes them. A namespace install created is deleted only when nothing else lives in it. Objects trigger-gateway did not create are never touched. The echo backend (namespace trigger) goes only with the gateway whose install --with-echo made it, and only when no other gateway routes to it; the output says why it was kept.`;

  static override examples = [
    { description: 'See what would be removed', command: '<%= config.bin %> <%= command.id %> --dry-run' },
    {
      description: 'Remove the gateway from its default namespace',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Remove a gateway installed elsewhere',
      command: '<%= config.bin %> <%= command.id %> -n webhooks',
    },
  ];

  static override flags = {
    'dry-run': Flags.boolean({ summary: 'List what would be removed, and remove nothing.' }),
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { flags } = this;
    const kube = this.kube();
    const request = {
      namespace: kube.namespace,
      echo: { namespace: ECHO_ROUTE.service.namespace, service: ECHO_ROUTE.service.name },
      dryRun: flags['dry-run'],
    };
    return this.runWithProgress(
      (progress) => uninstallGateway(kube, request, progress),
      flags.output,
      renderUninstallResult,
    );
  }
}
