/** The data plane's pieces on their own: the DNS server (asked by Node's resolver) and the config localizing. */
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsServer, startDnsServer, TYPE_A } from '../support/control-plane/data-plane/dns.ts';
import {
  localizeHaproxyConfig,
  resolvedServerNames,
} from '../support/control-plane/data-plane/haproxy-config.ts';
import { bundledGateway, configOf, ECHO_ROUTE, withRoutes } from './gateway-fixture.ts';

describe('cluster DNS server', () => {
  let dns: DnsServer;
  const resolver = new Resolver({ timeout: 1000, tries: 1 });

  beforeAll(async () => {
    dns = await startDnsServer((name, type) => {
      if (name !== 'web.apps.svc.cluster.local') return undefined;
      return type === TYPE_A ? ['127.9.200.1'] : [];
    });
    resolver.setServers([`${dns.host}:${dns.port}`]);
  });
  afterAll(() => dns.close());

  it('answers A queries for known names, whatever their case', async () => {
    expect(await resolver.resolve4('web.apps.svc.cluster.local', { ttl: true })).toEqual([
      { address: '127.9.200.1', ttl: 5 },
    ]);
    expect(await resolver.resolve4('WEB.Apps.svc.cluster.local')).toEqual(['127.9.200.1']);
    expect(dns.queries.at(-1)).toEqual({ name: 'web.apps.svc.cluster.local', type: TYPE_A });
  });

  it('answers NXDOMAIN for unknown names and no data for other types of known ones', async () => {
    await expect(resolver.resolve4('nothing.apps.svc.cluster.local')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    await expect(resolver.resolve6('web.apps.svc.cluster.local')).rejects.toMatchObject({ code: 'ENODATA' });
  });
});

describe('localizing the gateway config', () => {
  const bundled = configOf(bundledGateway().find((o) => o.kind === 'ConfigMap') as never);
  const cfg = withRoutes(bundled, [ECHO_ROUTE]);
  const local = localizeHaproxyConfig(cfg, {
    podIP: '127.9.0.7',
    mounts: [{ mountPath: '/usr/local/etc/haproxy', local: '/tmp/pod/volumes/config' }],
    dns: { host: '127.0.0.1', port: 5353 },
  });

  it('binds the pod IP, reads the map from the local copy and asks the cluster DNS', () => {
    expect(local).toContain('    bind 127.9.0.7:8080\n');
    expect(local).toContain('    bind 127.9.0.7:8404\n');
    expect(local).toContain('map_beg(/tmp/pod/volumes/config/haproxy.cfg)');
    expect(local).not.toContain('/usr/local/etc/haproxy');
    expect(local).toContain(
      'resolvers cluster\n    nameserver local 127.0.0.1:5353\n    resolve_retries 3\n',
    );
    expect(local).not.toContain('parse-resolv-conf');
    expect(local).toContain(
      'server listener httpecho.trigger.svc.cluster.local:80 resolvers cluster init-addr last,none resolve-prefer ipv4',
    );
  });

  it('changes nothing else', () => {
    const changed = (a: string, b: string) => a.split('\n').filter((line, i) => line !== b.split('\n')[i]);
    expect(local.split('\n')).toHaveLength(cfg.split('\n').length);
    expect(changed(local, cfg)).toHaveLength(5);
  });

  it('finds the names HAProxy resolves at run time', () => {
    expect(resolvedServerNames(local)).toEqual(['httpecho.trigger.svc.cluster.local']);
  });
});

describe('localizing paths and start-time addresses', () => {
  const cfg = [
    'frontend web',
    '    bind :8080',
    '    use_backend %[path,concat(/),map_beg(/etc/haproxy/haproxy.cfg)]',
    '    use_backend %[path,map_beg(/usr/local/etc/haproxy/haproxy.cfg)]',
    '    use_backend %[path,map_beg(/etc/haproxy/haproxy.cfg.bak)]',
    '    http-request return status 200 file /etc/haproxy-extra/ok.txt',
    'backend be_x',
    '    server s1 x.y.svc.cluster.local:81',
    '    server s2 missing.y.svc.cluster.local:80 init-addr last,libc,none',
    '    server s3 10.0.0.1:80',
    '',
  ].join('\n');
  const local = localizeHaproxyConfig(cfg, {
    podIP: '127.9.0.8',
    mounts: [{ mountPath: '/etc/haproxy/haproxy.cfg', local: '/tmp/pod/volumes/config/haproxy.cfg' }],
    dns: { host: '127.0.0.1', port: 5353 },
    startAddress: (host, port) => (host === 'x.y.svc.cluster.local' ? `127.9.200.4:${port}` : undefined),
  });

  it('rewrites a subPath-mounted file where it is named as a whole path, and nothing a mount does not cover', () => {
    expect(local).toContain('map_beg(/tmp/pod/volumes/config/haproxy.cfg)]');
    // What the pod does not have stays missing here too.
    expect(local).toContain('map_beg(/usr/local/etc/haproxy/haproxy.cfg)]');
    expect(local).toContain('map_beg(/etc/haproxy/haproxy.cfg.bak)]');
    expect(local).toContain('file /etc/haproxy-extra/ok.txt');
  });

  it('a directory mount covers the paths under it only', () => {
    const dir = localizeHaproxyConfig(cfg, {
      podIP: '127.9.0.8',
      mounts: [{ mountPath: '/etc/haproxy', local: '/tmp/v' }],
      dns: { host: '127.0.0.1', port: 5353 },
    });
    expect(dir).toContain('map_beg(/tmp/v/haproxy.cfg)]');
    expect(dir).toContain('map_beg(/tmp/v/haproxy.cfg.bak)]');
    expect(dir).toContain('map_beg(/usr/local/etc/haproxy/haproxy.cfg)]');
    expect(dir).toContain('file /etc/haproxy-extra/ok.txt');
  });

  it('servers without resolvers get the address libc would give them at start, when the name resolves', () => {
    expect(local).toContain('    server s1 127.9.200.4:81\n');
    expect(local).toContain('    server s2 missing.y.svc.cluster.local:80 init-addr last,libc,none\n');
    expect(local).toContain('    server s3 10.0.0.1:80\n');
  });
});
