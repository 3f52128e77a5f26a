/**
 * A pod's haproxy.cfg as a local HAProxy can run it. Only what cannot work outside a cluster changes:
 * - the ConfigMap mount paths become the pod's temp dirs (the gateway reads itself as a map file);
 * - wildcard binds (`bind :8080`, `*:8080`, `0.0.0.0:8080`, `[::]:8080`) bind the pod IP instead;
 * - every resolvers section asks the data plane's DNS (`parse-resolv-conf` and any `nameserver`
 *   lines become one `nameserver local <dns>`);
 * - `libc` leaves the init-addr of servers that use resolvers: the host's resolver knows no cluster
 *   names and may be slow to say so; the pod only turns Ready once HAProxy resolved them through the
 *   cluster DNS instead, which is what libc would have given it at start in a cluster.
 */

export interface Localize {
  podIP: string;
  /** Container mount path -> local directory holding the volume's files. */
  mounts: Array<{ mountPath: string; dir: string }>;
  dns: { host: string; port: number };
}

export function localizeHaproxyConfig(cfg: string, local: Localize): string {
  let out = cfg;
  // Longest mount path first, so /a/b is not rewritten as /a + /b.
  for (const { mountPath, dir } of [...local.mounts].sort(
    (a, b) => b.mountPath.length - a.mountPath.length,
  )) {
    const path = mountPath.replace(/\/+$/, '');
    out = out.replace(new RegExp(`${escape(path)}(?=/|\\s|$)`, 'gm'), dir);
  }
  out = out.replace(/^(\s*bind\s+)(?:\*|0\.0\.0\.0|\[::\]|::)?:(\d+)/gm, `$1${local.podIP}:$2`);
  const nameserver = `nameserver local ${local.dns.host}:${local.dns.port}`;
  const lines: string[] = [];
  let section = '';
  let wroteNameserver = false;
  for (const line of out.split('\n')) {
    const header = line.match(
      /^(global|defaults|frontend|backend|listen|resolvers|peers|userlist|program|cache|ring|mailers|http-errors)\b/,
    );
    if (header?.[1]) {
      section = header[1];
      wroteNameserver = false;
    }
    if (section === 'resolvers' && /^\s*(parse-resolv-conf|nameserver\s)/.test(line)) {
      if (!wroteNameserver) lines.push(`${line.match(/^\s*/)?.[0] ?? ''}${nameserver}`);
      wroteNameserver = true;
      continue;
    }
    lines.push(/^\s*server\s.*\sresolvers\s/.test(line) ? withoutLibc(line) : line);
  }
  return lines.join('\n');
}

function withoutLibc(line: string): string {
  return line.replace(/(\sinit-addr\s+)(\S+)/, (_all, prefix: string, methods: string) => {
    const kept = methods.split(',').filter((m) => m !== 'libc');
    return `${prefix}${kept.length > 0 ? kept.join(',') : 'none'}`;
  });
}

/** Host names of the servers that HAProxy resolves at run time (`server <n> <host>:<port> … resolvers …`). */
export function resolvedServerNames(cfg: string): string[] {
  const names = new Set<string>();
  for (const match of cfg.matchAll(/^\s*server\s+\S+\s+([^\s:]+)(?::\d+)?\s.*\bresolvers\s/gm)) {
    const host = match[1] ?? '';
    if (!/^[\d.]+$/.test(host) && !host.includes('[')) names.add(host.toLowerCase().replace(/\.$/, ''));
  }
  return [...names];
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
