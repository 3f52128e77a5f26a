import { describeConfigCheck } from '../services/config-check.ts';
import { formatLimit, kebabName, LIMIT_NAMES } from '../haproxy/routes.ts';
import type { ExposureReport } from '../services/exposure.ts';
import type { InstalledProtection, InstallResult } from '../services/install.ts';
import type { UninstallResult } from '../services/uninstall.ts';

/** Plain text for `install`: what changed, whether it serves, and what to do next. */
export function renderInstallResult(result: InstallResult): string {
  const lines: string[] = [];
  if (result.workspace) {
    const { path, type, action } = result.workspace;
    lines.push(`Workspace ${path} (type ${type}) ${action === 'created' ? 'created' : 'already there'}.`);
  }
  for (const binding of result.bindings ?? []) {
    const what = binding.resources.length > 0 ? `: ${binding.resources.join(', ')}` : '';
    lines.push(
      `${binding.action === 'created' ? 'Bound' : 'Already bound:'} ${binding.export} (APIBinding ${binding.binding})${what}.`,
    );
  }
  const changed = result.objects.filter(
    (object) => object.action === 'created' || object.action === 'configured' || object.action === 'removed',
  );
  if (changed.length === 0)
    lines.push(`Gateway in namespace ${result.namespace} is up to date; nothing changed.`);
  else
    lines.push(
      `Gateway ${result.objects.some((o) => o.action === 'configured') ? 'upgraded' : 'installed'} in namespace ${result.namespace}.`,
    );
  for (const object of result.objects) {
    const where = object.namespace ? ` (${object.namespace})` : '';
    lines.push(`  ${object.id}${where} ${object.action}${object.reason ? `: ${object.reason}` : ''}`);
  }
  if (result.keptLiveConfig) lines.push('Kept the live haproxy.cfg with its routes and edits.');
  if (result.check) lines.push(describeConfigCheck(result.check));
  lines.push(...protectionLines(result.protection));
  for (const rollout of result.rollout) {
    lines.push(
      `Ready: deployment ${rollout.namespace}/${rollout.deployment} ${rollout.ready}/${rollout.desired} pods.`,
    );
  }
  lines.push(exposureLine(result.exposure));
  if (!result.waited)
    lines.push(
      `Not waiting for the rollout; follow it with: kubectl -n ${result.namespace} rollout status deployment/trigger-gateway`,
    );
  if (result.workspace?.entered) lines.push(`Switched to workspace ${result.workspace.path}.`);
  lines.push('Next: kubectl trigger-gateway route add /github el-github-listener.ci:8080');
  return lines.join('\n');
}

/** How the gateway is reached, and what its controller said. */
export function exposureLine(exposure: ExposureReport): string {
  if (exposure.kind === 'none')
    return 'Not exposed (--expose none): kubectl trigger-gateway test uses a port-forward.';
  const verdict = exposure.conditions?.length
    ? ` (${exposure.conditions.map((c) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}`).join(', ')})`
    : '';
  const where = exposure.url ? `: ${exposure.url}` : exposure.note ? `: ${exposure.note}` : '';
  return `Exposed by ${exposure.object}${verdict}${where}`;
}

export function renderUninstallResult(result: UninstallResult): string {
  const verb = result.dryRun ? 'Would remove' : 'Removed';
  const lines: string[] = [];
  if (result.removed.length === 0)
    lines.push(
      'Nothing to remove: no objects labelled app.kubernetes.io/managed-by=kubectl-trigger-gateway.',
    );
  for (const object of result.removed) {
    lines.push(`${verb} ${object.id}${object.namespace ? ` (${object.namespace})` : ''}`);
  }
  for (const namespace of result.kept) lines.push(`Kept namespace ${namespace.name}: ${namespace.reason}`);
  if (result.keptEcho) {
    const ids = result.keptEcho.objects.map((object) => `${object.id} (${object.namespace ?? ''})`);
    lines.push(`Kept the echo backend, ${ids.join(', ')}: ${result.keptEcho.reason}`);
  }
  return lines.join('\n');
}

const TRUSTED_FROM: Record<InstalledProtection['trustedFrom'], string> = {
  flag: '--trusted-proxies',
  kept: 'kept from the live config',
  'pod ranges': "the cluster's pod ranges, from the Nodes' spec.podCIDRs",
  'none found': 'none found',
};

/** Who is believed about X-Forwarded-For, and the route defaults. */
function protectionLines(protection: InstalledProtection): string[] {
  const { trustedProxies, trustedFrom, why } = protection;
  const trusted =
    trustedProxies.length === 0
      ? `Trusted proxies: none (${TRUSTED_FROM[trustedFrom]}${why ? `: ${why}` : ''}); X-Forwarded-For is ignored, clients are the connections' sources. Behind an Ingress, pass its pods' range: --trusted-proxies CIDR`
      : `Trusted proxies (${TRUSTED_FROM[trustedFrom]}): ${trustedProxies.join(', ')}`;
  const defaults = LIMIT_NAMES.map(
    (name) => `${kebabName(name)} ${formatLimit(name, protection.routeDefaults)}`,
  );
  return [trusted, `Route defaults: ${defaults.join(', ')} (rates per gateway pod).`];
}
