import { Args, Flags } from '@oclif/core';
import { GatewayCommand, outputFlag } from '../../base-command.ts';
import { usageError } from '../../errors.ts';
import { parseWorkspaceType, WorkspacePathError, workspaceNameProblem } from '../../kcp/paths.ts';
import { createWorkspace } from '../../kcp/create.ts';
import { parseDuration } from '../../kube/kubeconfig.ts';
import { renderCreatedWorkspace } from '../../ui/workspace-text.ts';

export default class WorkspaceCreate extends GatewayCommand<typeof WorkspaceCreate> {
  static override summary = 'Create a kcp workspace in the current one, and wait until it is ready.';

  static override description = `Creates a tenancy.kcp.io Workspace as a child of the workspace the context points at, then waits until kcp reports it Ready. With --enter the kubeconfig then points at it, exactly as kcp's own "kubectl ws" would leave it (contexts workspace.kcp.io/current and workspace.kcp.io/previous), so both tools can be used side by side.

Needs kcp v0.11 or later; on plain Kubernetes there are no workspaces and this says so.`;

  static override examples = [
    {
      description: 'Create the infra workspace and enter it',
      command: '<%= config.bin %> <%= command.id %> infra --enter',
    },
    {
      description: 'Create it with an explicit type, or accept one that already exists',
      command: '<%= config.bin %> <%= command.id %> infra --type root:universal --ignore-existing',
    },
  ];

  static override args = {
    name: Args.string({ description: 'Name of the new workspace.', required: true }),
  };

  static override flags = {
    type: Flags.string({
      summary:
        'Workspace type, e.g. universal or root:universal (default: what the current workspace gives its children).',
    }),
    enter: Flags.boolean({ summary: 'Enter the workspace once it is ready.' }),
    'ignore-existing': Flags.boolean({ summary: 'Succeed if it already exists with the same type.' }),
    timeout: Flags.string({ summary: 'How long to wait for the workspace to be ready.', default: '60s' }),
    output: outputFlag,
  };

  public async run(): Promise<unknown> {
    const { args, flags } = this;
    const problem = workspaceNameProblem(args.name);
    if (problem) throw usageError(`"${args.name}" cannot name a workspace`, problem);
    let type;
    try {
      type = flags.type === undefined ? undefined : parseWorkspaceType(flags.type);
    } catch (error) {
      if (error instanceof WorkspacePathError) throw usageError(`--type: ${error.message}`, error.hint);
      throw error;
    }
    const request = {
      name: args.name,
      type,
      enter: flags.enter,
      ignoreExisting: flags['ignore-existing'],
      timeoutMs: parseDuration(flags.timeout, 'timeout'),
    };
    const kube = this.kube();
    return this.runWithProgress(
      (progress) => createWorkspace(kube, request, progress),
      flags.output,
      renderCreatedWorkspace,
    );
  }
}
