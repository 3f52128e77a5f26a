import { GatewayCommand, outputFlag } from '../../base-command.ts';
import { currentWorkspace } from '../../kcp/workspaces.ts';
import { renderCurrentWorkspace } from '../../ui/workspace-text.ts';

export default class WorkspaceCurrent extends GatewayCommand<typeof WorkspaceCurrent> {
  static override summary = 'Print the kcp workspace the context points at.';

  static override description = `Prints the path of the current workspace (e.g. root:org:infra), read from the context's server URL after discovery has confirmed the server is kcp. A workspace that no longer exists, or that is closed to you, is still printed, marked as not accessible.`;

  static override examples = [
    { description: 'The current workspace', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Its URL, for scripts',
      command: '<%= config.bin %> <%= command.id %> -o json | jq -r .url',
    },
  ];

  static override flags = { output: outputFlag };

  public async run(): Promise<unknown> {
    const result = await currentWorkspace(this.kube());
    this.printResult(result, this.flags.output, renderCurrentWorkspace);
    return result;
  }
}
