/**
 * A pod's haproxy.cfg as a local HAProxy can run it. Only what cannot work outside a cluster changes:
 * - paths under a ConfigMap mount become the pod's temp copies (the gateway reads itself as a map
 *   file); a path no mount covers stays as written, so a file the pod would not have stays missing;
 * - wildcard binds (`bind :8080`, `*:8080`, `0.0.0.0:8080`, `[::]:8080`) bind the pod IP instead;
 * - every resolvers section asks the data plane's DNS (`parse-resolv-conf` and any `nameserver`
 *   lines become one `nameserver local <dns>`);
 * - `libc` leaves the init-addr of servers that use resolvers: the host's resolver knows no cluster
 *   names and may be slow to say so; the pod only turns Ready once HAProxy resolved them through the
 *   cluster DNS instead, which is what libc would have given it at start in a cluster;
 * - a server without resolvers that names a cluster Service gets the address libc would have given
 *   it at start (`startAddress`), since the host's libc knows no cluster names.
 */

export interface Localize {
  podIP: string;
  /** Container mount path -> the local directory (or file, for a subPath mount) it shows. */
  mounts: Array<{ mountPath: string; local: string }>;
  dns: { host: string; port: number };
  /** `host`:`port` as resolved once at start, or undefined when it does not resolve. */
  startAddress?: (host: string, port: number) => string | undefined;
}

/** Characters of a path name: a mount path matches only as a whole path, not inside a longer one. */
const PATH_CHAR = String.raw`[\w.~/-]`;

export function localizeHaproxyConfig(cfg: string, local: Localize): string {
  const mounts = [...local.mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  let out = cfg;
  if (mounts.length > 0) {
    // One pass, longest mount path first, so /a/b is not rewritten as /a + /b.
    const paths = new RegExp(
      `(?<!${PATH_CHAR})(${mounts.map((m) => escape(m.mountPath)).join('|')})(?=/|(?!${PATH_CHAR}))`,
      'g',
    );
    out = out.replace(paths, (path) => mounts.find((m) => m.mountPath === path)?.local ?? path);
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
    if (/^\s*server\s.*\sresolvers\s/.test(line)) lines.push(withoutLibc(line));
    else lines.push(local.startAddress ? resolvedAtStart(line, local.startAddress) : line);
  }
  return lines.join('\n');
}

function withoutLibc(line: string): string {
  return line.replace(/(\sinit-addr\s+)(\S+)/, (_all, prefix: string, methods: string) => {
    const kept = methods.split(',').filter((m) => m !== 'libc');
    return `${prefix}${kept.length > 0 ? kept.join(',') : 'none'}`;
  });
}

function resolvedAtStart(line: string, startAddress: NonNullable<Localize['startAddress']>): string {
  return line.replace(
    /^(\s*server\s+\S+\s+)([A-Za-z][\w.-]*):(\d+)(?=\s|$)/,
    (all, prefix: string, host: string, port: string) => {
      const address = startAddress(host, Number(port));
      return address === undefined ? all : `${prefix}${address}`;
    },
  );
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
