import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import type { GatewayStatus } from '../../../src/services/status-model.ts';
import { initialUiState, STATUS_KEYS, type StatusUiState } from '../../../src/ui/status/keys.ts';
import { msUntilAgesChange, StatusView } from '../../../src/ui/status/view.tsx';
import {
  crowdedStatus,
  crowdedWithListeners,
  gatewayStatus,
  NOW,
  pod,
  route,
  warning,
} from './status-fixture.ts';

afterEach(cleanup);

interface Screen {
  status?: GatewayStatus | undefined;
  state?: Partial<StatusUiState>;
  width?: number;
  height?: number;
  error?: string;
  message?: string;
}

function view({ status, state, width = 80, height = 24, error, message }: Screen) {
  return (
    <StatusView
      status={status}
      state={{ ...initialUiState, ...state }}
      width={width}
      height={height}
      now={NOW}
      error={error}
      message={message}
    />
  );
}

function frameOf(screen: Screen): string {
  return render(view(screen)).lastFrame() ?? '';
}

const lines = (frame: string) => frame.split('\n');
const lineWith = (frame: string, text: string) => lines(frame).find((line) => line.includes(text));

describe('StatusView fits the terminal', () => {
  const crowded = crowdedStatus();
  const screens: [string, Screen][] = [
    ['healthy', { status: gatewayStatus() }],
    ['crowded, first route', { status: crowded, state: { selected: 0 } }],
    ['crowded, middle route', { status: crowded, state: { selected: 50 } }],
    ['crowded, last route', { status: crowded, state: { selected: 99 } }],
    ['crowded, beyond the last route', { status: crowded, state: { selected: 500 } }],
    [
      'crowded, message and error',
      { status: crowded, message: `testing ${'/x'.repeat(80)}…`, error: 'e\n'.repeat(50) },
    ],
    ['crowded, help', { status: crowded, state: { help: true }, error: 'boom' }],
    ['crowded, listeners not Ready', { status: crowdedWithListeners(), state: { selected: 30 } }],
    ['reading', { status: undefined, error: 'x'.repeat(200) }],
  ];

  it.each(screens)('%s: at most 24 lines of at most 80 columns at 80×24', (_, screen) => {
    const frame = frameOf(screen);
    expect(lines(frame).length).toBeLessThanOrEqual(24);
    for (const line of lines(frame)) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it.each([
    [40, 12],
    [60, 16],
    [200, 60],
  ])('fits %i×%i too', (width, height) => {
    for (const state of [{ selected: 0 }, { selected: 70 }, { help: true }]) {
      const frame = frameOf({
        status: crowded,
        state,
        width,
        height,
        message: 'testing /github…',
        error: 'boom',
      });
      expect(lines(frame).length).toBeLessThanOrEqual(height);
      for (const line of lines(frame)) expect([...line].length).toBeLessThanOrEqual(width);
    }
  });

  it('fills a crowded 80×24 screen with routes, a scroll indicator, events and notices', () => {
    const frame = frameOf({ status: crowded });
    expect(lines(frame)).toHaveLength(24);
    expect(frame).toMatch(/↓ \d+ more/);
    expect(frame).toMatch(/Warnings \(newest \d+ of 30\)/);
    expect(frame).toContain('note: no Ingress API on this cluster');
    expect(frame).toContain('… 2 more pods');
  });

  it('gives wider terminals wider columns', () => {
    const narrow = lineWith(frameOf({ status: crowded, state: { selected: 0 } }), '›') ?? '';
    const wide = lineWith(frameOf({ status: crowded, state: { selected: 0 }, width: 160 }), '›') ?? '';
    expect(narrow).toContain('/hook-0/a-ve');
    expect(wide).toContain('/hook-0/a-very-long-name-that');
    expect(wide.length).toBeGreaterThan(narrow.length);
  });

  it('cuts a long event object to leave room for what went wrong', () => {
    const frame = frameOf({
      status: gatewayStatus({ events: [warning({ object: `pod/${'x'.repeat(100)}` })] }),
    });
    const line = lineWith(frame, 'BackOff') ?? '';
    expect(line).toContain(`   3m pod/${'x'.repeat(35)}… BackOff: Back-off restarting`);
    expect([...line]).toHaveLength(80);
  });

  it('keeps every row one line: newlines in event messages become spaces', () => {
    const frame = frameOf({ status: gatewayStatus({ events: [warning({ message: 'first\nsecond' })] }) });
    expect(frame).toContain('BackOff: first second (×3)');
  });
});

describe('StatusView shows the reading', () => {
  it('says it is reading before the first reading arrives', () => {
    const frame = frameOf({ status: undefined });
    expect(lines(frame)[0]).toBe('Reading the gateway…');
    expect(frame).toContain('↑↓ select  t test  l logs  d deliveries  r refresh  ? help  q quit');
  });

  it('heads the screen with context, namespace, public URL, HAProxy version and the reading age', () => {
    const [first, second] = lines(frameOf({ status: gatewayStatus() }));
    expect(first).toBe('context kind-dev  namespace trigger-gateway');
    expect(second).toBe('https://hooks.example.com/  HAProxy 2.6.12-1+deb12u1  updated 3s ago');
  });

  it('shows the address behind the URL when the URL names a host, as its controller published it', () => {
    const exposure = {
      ...gatewayStatus().exposure,
      kind: 'ingress' as const,
      address: '203.0.113.7',
      routable: true,
    };
    // At 80 columns the line ends in an ellipsis.
    expect(lines(frameOf({ status: gatewayStatus({ exposure }) }))[1]).toMatch(
      /^https:\/\/hooks\.example\.com\/ at 203\.0\.113\.7 {2}HAProxy 2\.6\.12-1\+deb12u1 {2}updated/,
    );
    const atAddress = gatewayStatus({ publicUrl: 'http://203.0.113.7/', exposure });
    expect(lines(frameOf({ status: atAddress }))[1]).toBe(
      'http://203.0.113.7/  HAProxy 2.6.12-1+deb12u1  updated 3s ago',
    );
  });

  it('shows the kcp workspace only when there is one', () => {
    expect(frameOf({ status: gatewayStatus() })).not.toContain('workspace');
    expect(lines(frameOf({ status: gatewayStatus({ workspace: 'root:acme:ci' }) }))[0]).toBe(
      'context kind-dev  workspace root:acme:ci  namespace trigger-gateway',
    );
  });

  it('says when the gateway has no public address or the version is unknown', () => {
    const frame = frameOf({ status: gatewayStatus({ publicUrl: undefined, haproxyVersion: undefined }) });
    expect(lines(frame)[1]).toBe('no public address  HAProxy ?  updated 3s ago');
  });

  it('lists pods with kubectl-style ages and whether they run the current config', () => {
    const frame = frameOf({ status: gatewayStatus() });
    expect(lineWith(frame, 'NAME')).toMatch(/NAME +READY +RESTARTS +AGE +CONFIG$/);
    expect(lineWith(frame, 'abcde')).toMatch(/trigger-gateway-5d9c7f8b6-abcde +1\/1 +0 +2h +current$/);
    expect(lineWith(frame, 'fghij')).toMatch(/ 4d +current$/);
  });

  it('makes a stuck rollout visible at a glance', () => {
    const status = gatewayStatus({
      pods: [pod(), pod({ name: 'trigger-gateway-old-xyz', currentConfig: false })],
    });
    const frame = frameOf({ status });
    expect(frame).toContain('! 1 of 2 pods still run an old haproxy.cfg: the rollout has not finished');
    expect(lineWith(frame, 'trigger-gateway-old-xyz')).toMatch(/ old$/);
  });

  it("shows why a pod is not ready, and '?' for an unknown config", () => {
    const status = gatewayStatus({
      pods: [
        pod(),
        pod({
          ready: false,
          readyContainers: '0/1',
          restarts: 7,
          problem: 'CrashLoopBackOff',
          currentConfig: undefined,
        }),
      ],
    });
    const frame = frameOf({ status });
    expect(lineWith(frame, 'NAME')).toMatch(/CONFIG +PROBLEM$/);
    expect(lineWith(frame, 'CrashLoopBackOff')).toMatch(/0\/1 +7 +2h +\? +CrashLoopBackOff$/);
  });

  it('says so when there are no gateway pods or no routes', () => {
    const frame = frameOf({ status: gatewayStatus({ pods: [], routes: [] }) });
    expect(frame).toContain('! No gateway pods in trigger-gateway');
    expect(frame).toContain('No routes yet. Add one:');
  });

  it('shows each route with its service, HAProxy state, counters and last request', () => {
    const status = gatewayStatus({
      routes: [
        route(),
        route({ match: '/gitlab', serviceExists: false, readyEndpoints: undefined }),
        route({
          match: '/hand',
          service: undefined,
          serviceExists: undefined,
          readyEndpoints: undefined,
          stats: undefined,
        }),
        route({ match: '/unknown', serviceExists: undefined, readyEndpoints: undefined }),
        route({
          match: '/empty',
          readyEndpoints: 0,
          stats: { ...route().stats!, status: 'DOWN', lastRequestSeconds: undefined },
        }),
      ],
    });
    const frame = frameOf({ status });
    expect(lineWith(frame, 'MATCH')).toMatch(/MATCH +BACKEND +SVC +HAPROXY +SESS +REQ +2XX +4XX +5XX +LAST$/);
    expect(lineWith(frame, '/github')).toMatch(
      /\/github +el-github\.ci:8080 +2 ready +UP +0 +42 +40 +1 +1 +45s$/,
    );
    expect(lineWith(frame, '/gitlab')).toContain(' missing ');
    expect(lineWith(frame, '/hand')).toMatch(/ - +\? +- +- +- +- +- +-$/);
    expect(lineWith(frame, '/unknown')).toMatch(/ \? +UP /);
    expect(lineWith(frame, '/empty')).toMatch(/ 0 ready +DOWN .* -$/);
  });

  it("shows a listener's Ready condition for routes to EventListeners, and why one is not Ready above the routes", () => {
    const status = gatewayStatus({
      routes: [
        route({
          listener: { name: 'github', namespace: 'ci', ready: 'True', message: 'EventListener is ready' },
        }),
        route({
          match: '/gitlab',
          listener: {
            name: 'gl-listener',
            namespace: 'hooks',
            ready: 'False',
            message: 'serviceaccount "no-such-account" not found',
          },
        }),
        route({ match: '/echo', backend: 'httpecho.trigger:80' }),
      ],
    });
    const frame = frameOf({ status });
    expect(lineWith(frame, 'MATCH')).toMatch(/MATCH +BACKEND +SVC +LISTENER +HAPROXY /);
    expect(lineWith(frame, '/github')).toMatch(/ 2 ready +Ready +UP /);
    expect(lineWith(frame, '/gitlab')).toMatch(/ 2 ready +not Ready +UP /);
    expect(lineWith(frame, '/echo')).toMatch(/ 2 ready +- +UP /);
    // Cut to the terminal's width, as every line is.
    expect(frame).toContain(
      '! eventlistener hooks/gl-listener is not Ready: serviceaccount "no-such-account…',
    );
    // Without listeners the column is not there at all.
    expect(lineWith(frameOf({ status: gatewayStatus() }), 'MATCH')).not.toContain('LISTENER');
  });

  it('shows warning events newest first, one line each', () => {
    const events = [
      warning({
        lastSeen: new Date(NOW - 60_000).toISOString(),
        reason: 'Unhealthy',
        message: 'probe failed',
        count: 1,
      }),
      warning(),
    ];
    const wide = frameOf({ status: gatewayStatus({ events }), width: 120 });
    const eventLines = lines(wide).slice(lines(wide).indexOf('Warnings') + 1);
    expect(eventLines[0]).toBe('   1m pod/trigger-gateway-5d9c7f8b6-abcde Unhealthy: probe failed');
    expect(eventLines[1]).toBe(
      '   3m pod/trigger-gateway-5d9c7f8b6-abcde BackOff: Back-off restarting failed container haproxy (×3)',
    );
    const narrow = frameOf({ status: gatewayStatus({ events }), width: 80 });
    expect(lineWith(narrow, 'BackOff')).toBe(
      '   3m pod/trigger-gateway-5d9c7f8b6-abcde BackOff: Back-off restarting failed c…',
    );
  });

  it('shows notices, one line each', () => {
    const frame = frameOf({
      status: gatewayStatus({
        notices: ['stats unavailable: not allowed to get pods/proxy', 'not allowed to list events'],
      }),
    });
    expect(frame).toContain(
      'note: stats unavailable: not allowed to get pods/proxy\nnote: not allowed to list events',
    );
  });

  it('puts the message and the error just above the footer', () => {
    const frame = frameOf({
      status: gatewayStatus(),
      message: 'testing /github…',
      error: 'cannot read pods',
    });
    expect(lines(frame).slice(-3)).toEqual([
      'testing /github…',
      'error: cannot read pods',
      '↑↓ select  t test  l logs  d deliveries  r refresh  ? help  q quit',
    ]);
  });
});

describe('StatusView selection and scrolling', () => {
  it('moves the marker with the selection', () => {
    const { lastFrame, rerender } = render(view({ status: gatewayStatus() }));
    expect(lineWith(lastFrame() ?? '', '›')).toMatch(/^› \/github /);
    rerender(view({ status: gatewayStatus(), state: { selected: 1 } }));
    expect(lineWith(lastFrame() ?? '', '›')).toMatch(/^› \/gitlab /);
    expect(lineWith(lastFrame() ?? '', '/github')).toMatch(/^ {2}\/github /);
  });

  it('keeps the selection valid when there are fewer routes than it points at', () => {
    expect(lineWith(frameOf({ status: gatewayStatus(), state: { selected: 9 } }), '›')).toMatch(
      /^› \/gitlab /,
    );
  });

  it('scrolls the window to keep the selection visible', () => {
    const status = crowdedStatus();
    const { lastFrame, rerender } = render(view({ status }));
    expect(lastFrame()).toContain('› /hook-0/');
    expect(lastFrame()).not.toContain('/hook-60/');
    expect(lastFrame()).not.toMatch(/↑ \d+ more/);
    expect(lastFrame()).toMatch(/↓ \d+ more {2}\(route 1 of 100\)/);

    rerender(view({ status, state: { selected: 60 } }));
    expect(lastFrame()).toContain('› /hook-60/');
    expect(lastFrame()).not.toContain('/hook-0/');
    expect(lastFrame()).toMatch(/↑ \d+ more {2}↓ \d+ more {2}\(route 61 of 100\)/);

    rerender(view({ status, state: { selected: 99 } }));
    expect(lastFrame()).toContain('› /hook-99/');
    expect(lastFrame()).not.toMatch(/↓ \d+ more/);
  });
});

describe('StatusView help', () => {
  it('lists every key and what it does instead of the tables', () => {
    const frame = frameOf({ status: gatewayStatus(), state: { help: true } });
    for (const entry of STATUS_KEYS) expect(lineWith(frame, entry.does)).toContain(entry.keys);
    expect(frame).not.toContain('MATCH');
    expect(lines(frame).at(-1)).toBe('? Esc close help  q quit');
  });

  it('shows help before the first reading too', () => {
    expect(frameOf({ status: undefined, state: { help: true } })).toContain(
      'send a test delivery to the selected route',
    );
  });
});

describe('msUntilAgesChange', () => {
  const ago = (ms: number) => new Date(NOW - ms).toISOString();

  it('is the next second while the reading is counted in seconds', () => {
    expect(msUntilAgesChange(gatewayStatus({ observedAt: ago(3000) }), NOW)).toBe(1000);
    expect(msUntilAgesChange(gatewayStatus({ observedAt: ago(3250) }), NOW)).toBe(750);
  });

  it('is the moment the reading turns stale, which shows as another colour', () => {
    expect(msUntilAgesChange(gatewayStatus({ observedAt: ago(30_000) }), NOW)).toBe(1);
  });

  it('is the next minute for a reading minutes old, unless a pod or an event ages first', () => {
    const old = gatewayStatus({ observedAt: ago(90_000), pods: [pod({ createdAt: ago(2 * 3600_000) })] });
    expect(msUntilAgesChange(old, NOW)).toBe(30_000);
    expect(msUntilAgesChange({ ...old, pods: [pod({ createdAt: ago(59_500) })] }, NOW)).toBe(500);
    expect(msUntilAgesChange({ ...old, events: [warning({ lastSeen: ago(179_000) })] }, NOW)).toBe(1000);
  });
});
