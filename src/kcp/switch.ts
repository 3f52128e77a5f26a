/** Entering a workspace in the kubeconfig file the command read, the way `kubectl ws` does. */
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeTarget } from '../kube/kubeconfig.ts';
import {
  CURRENT_CONTEXT,
  enterWorkspace,
  KubeconfigSwitchError,
  mergedView,
  returnToPrevious,
} from './kubeconfig-contexts.ts';
import { editKubeconfig, readKubeconfigs } from './kubeconfig-file.ts';

export interface Switched {
  /** The file written: --kubeconfig, else the first file of KUBECONFIG, else ~/.kube/config. */
  file: string;
  context: string;
  server: string;
}

function fileToEdit(target: KubeTarget): string {
  const file = target.kubeconfigFiles[0];
  if (!file) {
    throw new GatewayError('there is no kubeconfig file to switch workspaces in', {
      why: 'the connection comes from the in-cluster service account, not from a kubeconfig file',
      next: ['pass --kubeconfig FILE, or set KUBECONFIG'],
      exitCode: ExitCode.environment,
    });
  }
  return file;
}

/** `server` set: enter that workspace URL; undefined: go back to the previous workspace. */
export async function switchWorkspace(target: KubeTarget, server: string | undefined): Promise<Switched> {
  const file = fileToEdit(target);
  const others = target.kubeconfigFiles.slice(1);
  try {
    const newServer = await editKubeconfig(file, (document) => {
      const view = mergedView([document, ...readKubeconfigs(others, file)]);
      if (server === undefined) return returnToPrevious(document, view, target.contextName);
      enterWorkspace(document, view, target.contextName, server);
      return server;
    });
    return { file, context: CURRENT_CONTEXT, server: newServer };
  } catch (error) {
    if (!(error instanceof KubeconfigSwitchError)) throw error;
    throw new GatewayError(error.message, { why: error.hint, exitCode: ExitCode.environment });
  }
}
