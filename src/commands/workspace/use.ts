import { Args } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../../base-command.ts';
import { useWorkspace } from '../../kcp/workspaces.ts';
import { renderUsedWorkspace } from '../../ui/workspace-text.ts';

export default class WorkspaceUse extends GatewayCommand<typeof WorkspaceUse> {
  static override summary = 'Enter another kcp workspace, the way "kubectl ws" does.';

  static override description = `Points the kubeconfig at a workspace: a child (infra, or team:infra), the parent (..), an absolute path (:root:org:infra), the root (:) or the workspace you were in before (-). It checks that the workspace exists and that you may enter it first.

The kubeconfig file that was read (--kubeconfig, else the first file of KUBECONFIG, else ~/.kube/config) gets the contexts workspace.kcp.io/current and workspace.kcp.io/previous with the same user and namespace, as kcp's own plugin writes them; nothing else in it changes.`;

  static override examples = [
    { description: 'Enter the child workspace infra', command: '<%= config.bin %> <%= command.id %> infra' },
    { description: 'Go up one level', command: '<%= config.bin %> <%= command.id %> ..' },
    { description: 'Go back to where you were', command: '<%= config.bin %> <%= command.id %> -' },
    { description: 'Go to an absolute path', command: '<%= config.bin %> <%= command.id %> :root:org:infra' },
  ];

  static override args = {
    workspace: Args.string({ description: 'NAME, a:b, .., :root:org:infra, : or -', required: true }),
  };

  static override flags = { output: outputFlag };

  public async run(): Promise<unknown> {
    const result = await useWorkspace(this.kube(), this.args.workspace);
    this.printResult(result, this.flags.output, renderUsedWorkspace);
    return result;
  }
}
