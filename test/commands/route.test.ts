import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import RouteList from '../../src/commands/route/list.ts';
import RouteRemove from '../../src/commands/route/remove.ts';
import { bundledPodFiles, checkWithHaproxy } from '../../src/services/haproxy-check.ts';
import { REPO_ROOT, runCommand, runExecutable } from '../support/cli.ts';
import { type ControlPlane, type KubeObject, startControlPlane } from '../support/control-plane/index.ts';
import {
  HAND_MADE_LAYOUTS,
  type HandMadeLayout,
  handMadeGateway,
  UNREADABLE_LAYOUTS,
  unreadableGateway,
} from '../control-plane/hand-made-gateway.ts';

const NS = 'trigger-gateway';
let plane: ControlPlane;
let kubeconfig: string;

function kubectl(...args: string[]) {
  return runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });
}

function run(command: Parameters<typeof runCommand>[0], ...args: string[]) {
  return runCommand(command, ['--kubeconfig', kubeconfig, ...args]);
}

function liveConfig(): string {
  const configMap = plane.get('configmaps', 'trigger-gateway-haproxy', NS) as KubeObject & {
    data: Record<string, string>;
  };
  return configMap.data['haproxy.cfg'] ?? '';
}

function templateChecksum(): string | undefined {
  const deployment = plane.get('deployments', 'trigger-gateway', NS) as KubeObject & {
    spec: { template: { metadata: { annotations?: Record<string, string> } } };
  };
  return deployment.spec.template.metadata.annotations?.['trigger-gateway.dev/config-checksum'];
}

function fingerprint(namespace = NS): string[] {
  return ['configmaps', 'deployments', 'replicasets']
    .flatMap((resource) => plane.list(resource, namespace))
    .map((object) => `${object.kind}/${object.metadata.name}@${object.metadata.resourceVersion}`)
    .sort();
}

async function listRoutesJson(): Promise<
  Array<{ match: { type: string; path?: string; header?: string }; origin: string; serviceExists?: boolean }>
> {
  const listed = await run(RouteList, '-o', 'json');
  expect(listed.exitCode, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout);
}

beforeEach(async () => {
  plane = await startControlPlane();
  kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-route-')), 'kubeconfig'));
  const installed = await run(Install);
  expect(installed.exitCode, installed.stderr).toBe(0);
});

afterEach(async () => {
  await plane.stop();
});

describe('route add', () => {
  it('routes a path, rolls the pods to the new config, and kubectl reads it back', async () => {
    const replicaSetsBefore = plane.list('replicasets', NS).length;
    const result = await run(RouteAdd, '/github', 'el-github-listener.ci:8080');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Route /github → el-github-listener.ci:8080 added.');
    expect(result.stdout).toContain('traffic flows now');
    expect(result.stdout).toContain('Note: that Service does not exist yet');

    const cfg = await kubectl(
      'get',
      'configmap',
      'trigger-gateway-haproxy',
      '-n',
      NS,
      '-o',
      'jsonpath={.data.haproxy\\.cfg}',
    );
    expect(cfg.stdout).toBe(liveConfig());
    expect(cfg.stdout).toContain('el-github-listener.ci.svc.cluster.local:8080');
    expect(templateChecksum()).toBe(createHash('sha256').update(liveConfig()).digest('hex'));
    expect(plane.list('replicasets', NS).length).toBe(replicaSetsBefore + 1);
    expect((await checkWithHaproxy(bundledPodFiles(liveConfig()))).valid).toBe(true);
  });

  it('says so and changes nothing when the same route is added twice', async () => {
    expect((await run(RouteAdd, '/github', 'el-github.ci:8080')).exitCode).toBe(0);
    const before = fingerprint();
    const again = await run(RouteAdd, '/github', 'el-github.ci:8080');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already exists; nothing changed');
    expect(fingerprint()).toEqual(before);
  });

  it('needs --overwrite to change the backend of an existing route', async () => {
    expect((await run(RouteAdd, '/github', 'el-github.ci:8080')).exitCode).toBe(0);
    const before = fingerprint();
    const refused = await run(RouteAdd, '/github', 'el-other.ci:8080');
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('--overwrite');
    expect(fingerprint()).toEqual(before);
    const replaced = await run(RouteAdd, '/github', 'el-other.ci:8080', '--overwrite');
    expect(replaced.exitCode, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain('replaced');
    expect(liveConfig()).toContain('el-other.ci.svc.cluster.local:8080');
    expect(liveConfig()).not.toContain('el-github.ci.svc.cluster.local');
  });

  it('--dry-run prints a unified diff of haproxy.cfg and changes nothing', async () => {
    const before = fingerprint();
    const result = await run(RouteAdd, '/github', 'el-github.ci:8080', '--dry-run');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^--- a\/haproxy\.cfg\n\+\+\+ b\/haproxy\.cfg\n@@ /);
    expect(result.stdout).toMatch(/^\+.*\/github\//m);
    expect(fingerprint()).toEqual(before);
  });

  it('routes svc:port to the current namespace of the context', async () => {
    const result = await run(RouteAdd, '/local', 'hooks:80', '-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).route.service).toEqual({
      name: 'hooks',
      namespace: 'default',
      port: 80,
    });
  });

  it('routes to an EventListener on the port its Service really serves', async () => {
    const manifest = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } },
      {
        apiVersion: 'triggers.tekton.dev/v1beta1',
        kind: 'EventListener',
        metadata: { name: 'github', namespace: 'ci' },
        spec: { triggers: [] },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'el-github', namespace: 'ci' },
        spec: {
          selector: { eventlistener: 'github' },
          ports: [
            { name: 'http-listener', port: 8080, targetPort: 8080 },
            { name: 'http-metrics', port: 9000, targetPort: 9000 },
          ],
        },
      },
    ];
    for (const object of manifest) plane.put(object as KubeObject);
    const result = await run(
      RouteAdd,
      '/github',
      '--event-listener',
      'github',
      '--listener-namespace',
      'ci',
      '-o',
      'json',
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).route.service).toEqual({
      name: 'el-github',
      namespace: 'ci',
      port: 8080,
    });
    expect(JSON.parse(result.stdout).serviceExists).toBe(true);
  });

  it('routes to an EventListener that serves TLS over TLS, on its https port', async () => {
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } });
    plane.put({
      apiVersion: 'triggers.tekton.dev/v1beta1',
      kind: 'EventListener',
      metadata: { name: 'secure', namespace: 'ci' },
      status: { configuration: { generatedName: 'el-secure' } },
    } as KubeObject);
    plane.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'el-secure', namespace: 'ci' },
      spec: { ports: [{ name: 'https-listener', port: 8443, targetPort: 8443 }] },
    });
    const result = await run(
      RouteAdd,
      '/secure',
      '--event-listener',
      'secure',
      '--listener-namespace',
      'ci',
      '-o',
      'json',
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const route = JSON.parse(result.stdout).route;
    expect(route.service).toEqual({ name: 'el-secure', namespace: 'ci', port: 8443 });
    expect(route.tls).toBe(true);
    expect(liveConfig()).toMatch(/server \S+ el-secure\.ci\.svc\.cluster\.local:8443 .*\bssl\b/);
  });

  it('names a missing EventListener and lists those that exist', async () => {
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } });
    plane.put({
      apiVersion: 'triggers.tekton.dev/v1beta1',
      kind: 'EventListener',
      metadata: { name: 'gitlab', namespace: 'ci' },
    });
    const result = await run(RouteAdd, '/github', '--event-listener', 'github', '--listener-namespace', 'ci');
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('eventlistener github not found in namespace ci');
    expect(result.stderr).toContain('that namespace has: gitlab');
  });

  it('never loses a route when 20 processes add routes at the same moment', async () => {
    const adds = Array.from({ length: 20 }, (_, index) =>
      runExecutable(
        'kubectl',
        ['trigger-gateway', 'route', 'add', `/team-${index}`, `el-team-${index}.ci:8080`, '--no-wait'],
        {
          KUBECONFIG: kubeconfig,
        },
      ),
    );
    const results = await Promise.all(adds);
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    const paths = (await listRoutesJson()).map((route) => route.match.path).sort();
    expect(paths).toEqual(Array.from({ length: 20 }, (_, index) => `/team-${index}`).sort());
    expect((await checkWithHaproxy(bundledPodFiles(liveConfig()))).valid).toBe(true);
    expect(templateChecksum()).toBe(createHash('sha256').update(liveConfig()).digest('hex'));
  });
});

describe('bad input changes nothing', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a path with a space', ['/git hub', 'el.ci:8080'], /path/],
    ['a path with a newline', ['/github\n    use_backend x', 'el.ci:8080'], /path/],
    ['a path without a leading slash', ['github', 'el.ci:8080'], /path/],
    ['a path with a comment sign', ['/a#b', 'el.ci:8080'], /path/],
    ['an upper-case service', ['/github', 'El-Github.ci:8080'], /El-Github/],
    ['a port out of range', ['/github', 'el.ci:70000'], /70000/],
    ['a missing port', ['/github', 'el.ci'], /port/],
    ['a namespace with a dot', ['/github', 'el.c.i.x:80'], /./],
  ];
  for (const [name, args, message] of cases) {
    it(`rejects ${name} before any request`, async () => {
      const before = fingerprint();
      const requests = plane.requests.length;
      const result = await run(RouteAdd, ...args);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^error: /);
      expect(result.stderr).toMatch(message);
      expect(fingerprint()).toEqual(before);
      expect(plane.requests.length).toBe(requests);
    });
  }

  it('rejects a header name that is not a token', async () => {
    const result = await run(RouteAdd, '--header', 'X Bad', 'el.ci:8080');
    expect(result.exitCode).toBe(2);
  });

  it('explains a gateway that is not installed', async () => {
    const result = await run(RouteList, '-n', 'elsewhere');
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('no trigger-gateway is installed in namespace elsewhere');
    expect(result.stderr).toContain('try: kubectl trigger-gateway install -n elsewhere');
  });

  it('refuses to write when HAProxy rejects the hand-edited live config, and says so', async () => {
    const broken = liveConfig().replace('timeout client 30s', 'timeout client 30zz');
    const patched = await kubectl(
      'patch',
      'configmap',
      'trigger-gateway-haproxy',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ data: { 'haproxy.cfg': broken } }),
    );
    expect(patched.exitCode).toBe(0);
    const before = fingerprint();
    const result = await run(RouteAdd, '/github', 'el.ci:8080');
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toMatch(/HAProxy [\d.]+ on this machine already rejects the live haproxy\.cfg/);
    expect(result.stderr).toContain("unexpected character 'z' in 'timeout client'");
    expect(fingerprint()).toEqual(before);
  });
});

describe('route remove and list', () => {
  it('lists path and header routes with their origin and whether the Service exists', async () => {
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } });
    plane.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'el-github', namespace: 'ci' },
      spec: { ports: [{ port: 8080 }] },
    });
    expect((await run(RouteAdd, '/github', 'el-github.ci:8080')).exitCode).toBe(0);
    expect((await run(RouteAdd, '--header', 'X-Github-Event', 'pac.ci:8080')).exitCode).toBe(0);
    const table = await run(RouteList);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^MATCH\s+BACKEND\s+ORIGIN\s+SERVICE\s+LIMITS$/m);
    expect(table.stdout).toMatch(/^\/github\s+el-github\.ci:8080\s+tool\s+exists\s+body 25MiB\*$/m);
    expect(table.stdout).toMatch(/^header X-Github-Event\s+pac\.ci:8080\s+tool\s+missing\s+body 25MiB\*$/m);
  });

  it('removes a route so that the config is back to what it was', async () => {
    const original = liveConfig();
    expect((await run(RouteAdd, '/github', 'el-github.ci:8080')).exitCode).toBe(0);
    const removed = await run(RouteRemove, '/github');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Removed route /github');
    expect(liveConfig()).toBe(original);
    expect(templateChecksum()).toBe(createHash('sha256').update(original).digest('hex'));
  });

  it('removing a route that is not there is an error that lists what is there', async () => {
    expect((await run(RouteAdd, '/github', 'el-github.ci:8080')).exitCode).toBe(0);
    const before = fingerprint();
    const result = await run(RouteRemove, '/gitlab');
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('/gitlab');
    expect(result.stderr).toContain('/github');
    expect(fingerprint()).toEqual(before);
  });

  it('removes a header route', async () => {
    expect((await run(RouteAdd, '--header', 'X-Github-Event', 'pac.ci:8080')).exitCode).toBe(0);
    const removed = await run(RouteRemove, '--header', 'X-Github-Event');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(await listRoutesJson()).toEqual([]);
  });
});

describe('a gateway set up by hand from the original manifests', () => {
  const legacy = 'legacy';
  const handWritten = readFileSync(
    join(REPO_ROOT, 'test', 'support', 'fixtures', 'haproxy', 'original-acl.cfg'),
    'utf8',
  );

  function legacyConfig(): string {
    const configMap = plane.get('configmaps', 'haproxy-config', legacy) as KubeObject & {
      data: Record<string, string>;
    };
    return configMap.data['haproxy.cfg'] ?? '';
  }

  beforeEach(() => {
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: legacy } });
    // The reference Deployment: haproxy.cfg mounted with subPath where the image's haproxy reads it.
    for (const object of handMadeGateway(legacy, HAND_MADE_LAYOUTS[1] as HandMadeLayout, handWritten))
      plane.put(object);
  });

  it('lists its hand-written routes', async () => {
    const listed = await run(RouteList, '-n', legacy, '-o', 'json');
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([
      {
        match: { type: 'path', path: '/x' },
        origin: 'hand',
        service: { name: 'x', namespace: 'y', port: 80 },
      },
    ]);
  });

  it('adds a route beside them, keeps every hand-written line, and rolls deployment/gateway', async () => {
    const added = await run(RouteAdd, '/github', 'el-github.ci:8080', '-n', legacy);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.stderr).toContain(
      'using the hand-made gateway: configmap/haproxy-config, deployment/gateway',
    );
    const after = legacyConfig();
    let from = 0;
    for (const line of handWritten.split('\n')) {
      const at = after.indexOf(line, from);
      expect(at, `kept in order: ${line}`).toBeGreaterThanOrEqual(from);
      from = at + line.length;
    }
    expect((await checkWithHaproxy(bundledPodFiles(after))).valid).toBe(true);
    const deployment = plane.get('deployments', 'gateway', legacy) as KubeObject & {
      spec: { template: { metadata: { annotations?: Record<string, string> } } };
    };
    expect(deployment.spec.template.metadata.annotations?.['trigger-gateway.dev/config-checksum']).toBe(
      createHash('sha256').update(after).digest('hex'),
    );
  });

  it('removes a hand-written route and nothing else', async () => {
    const removed = await run(RouteRemove, '/x', '-n', legacy, '--no-wait');
    expect(removed.exitCode, removed.stderr).toBe(0);
    const after = legacyConfig();
    expect(after).not.toContain('PATH_x');
    expect(after).not.toContain('backend be_x');
    expect(after).toContain('tcp-request content accept if HTTP');
    expect(after).toContain('frontend hooks-http');
  });
});

describe('a hand-made gateway whose pods do not read the ConfigMap as mounted', () => {
  const legacy = 'legacy';
  const handWritten = readFileSync(
    join(REPO_ROOT, 'test', 'support', 'fixtures', 'haproxy', 'original-acl.cfg'),
    'utf8',
  );

  function putGateway(change: Parameters<typeof unreadableGateway>[2]) {
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: legacy } });
    for (const object of unreadableGateway(legacy, handWritten, change)) plane.put(object);
  }

  async function rolledOut(): Promise<void> {
    const status = await kubectl('rollout', 'status', 'deployment/gateway', '-n', legacy, '--timeout=30s');
    expect(status.stdout).toContain('successfully rolled out');
  }

  for (const { name, change, found, why } of UNREADABLE_LAYOUTS) {
    it(`${name}: exit 7 before anything is written, saying what was found and what to do`, async () => {
      putGateway(change);
      await rolledOut();
      const before = fingerprint(legacy);
      const commands: Array<[typeof RouteAdd | typeof RouteRemove, ...string[]]> = [
        [RouteAdd, '/extra', 'x.y:81'],
        [RouteAdd, '/extra', 'x.y:81', '--dry-run'],
        [RouteRemove, '/x'],
      ];
      for (const [command, ...args] of commands) {
        const result = await run(command, ...args, '-n', legacy);
        expect(result.exitCode, result.stderr).toBe(7);
        expect(result.stderr).toContain(`error: deployment/gateway: ${found}\n`);
        expect(result.stderr).toContain(`  why: ${why}; `);
        expect(result.stderr).toContain('nothing was written');
        expect(result.stderr).toContain(
          'try: mount configmap/haproxy-config in container gateway (a directory, or haproxy.cfg with subPath) and start haproxy with -f on that file',
        );
        expect(result.stderr).toContain(`try: kubectl -n ${legacy} edit deployment gateway`);
        expect(result.stdout).toBe('');
      }
      expect(fingerprint(legacy)).toEqual(before);
    });
  }

  it('without its Deployment: exit 7, naming it, nothing written', async () => {
    putGateway(() => undefined);
    await rolledOut();
    await kubectl('delete', 'deployment', 'gateway', '-n', legacy);
    const before = fingerprint(legacy);
    const result = await run(RouteAdd, '/extra', 'x.y:81', '-n', legacy);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('error: deployment/gateway not found in namespace legacy');
    expect(fingerprint(legacy)).toEqual(before);
  });
});
