import type { CreateWorkspaceResult } from '../kcp/create.ts';
import type { CurrentWorkspace, UseWorkspaceResult } from '../kcp/workspaces.ts';

/** Plain text for the workspace commands; scripts use -o json|yaml. */
export function renderCreatedWorkspace(result: CreateWorkspaceResult): string {
  const what = `Workspace ${result.path} (type ${result.type})`;
  const lines = [
    result.action === 'created' ? `${what} created and ready.` : `${what} already exists and is ready.`,
  ];
  if (result.entered) lines.push(`Switched to workspace ${result.path}.`);
  else lines.push(`Enter it with: kubectl trigger-gateway workspace use ${result.name}`);
  return lines.join('\n');
}

export function renderUsedWorkspace(result: UseWorkspaceResult): string {
  return `Switched to workspace ${result.path}${result.type ? ` (type ${result.type})` : ''}.`;
}

export const renderCurrentWorkspace = (result: CurrentWorkspace) =>
  result.accessible
    ? result.path
    : `${result.path} (not accessible: it no longer exists, or it is closed to you)`;
