/**
 * v1 Events as a client writes and reads them: created with put() or POST, listed and watched by the
 * field selectors the real server offers for events (type, involvedObject.*, reason), with watch
 * bookmarks on request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, type KubeObject, startControlPlane } from '../support/control-plane/index.ts';
import { type Kubectl, kubectlFor, raw, watchUntil } from './helpers.ts';

const NS = 'events';

const event = (name: string, type: string, kind: string, object: string, reason: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: NS },
  type,
  reason,
  message: `${reason} for ${kind} ${object}`,
  involvedObject: { kind, name: object, namespace: NS, apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1' },
  source: { component: 'test' },
  count: 1,
  firstTimestamp: '2025-01-01T00:00:00Z',
  lastTimestamp: '2025-01-01T00:00:00Z',
});

const names = (body: Record<string, unknown>) =>
  (body.items as KubeObject[]).map((item) => item.metadata.name).sort();

let plane: ControlPlane;
let kubectl: Kubectl;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane, { namespace: NS });
  plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

describe('events', () => {
  it('creates Events with put() and POST, and lists them by type and involved object', async () => {
    plane.put(event('web.1', 'Warning', 'Pod', 'web', 'BackOff'));
    const posted = await raw(plane, 'POST', `/api/v1/namespaces/${NS}/events`, {
      body: event('web.2', 'Normal', 'Pod', 'web', 'Started'),
    });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({ kind: 'Event', type: 'Normal', involvedObject: { name: 'web' } });
    plane.put(event('web.3', 'Warning', 'Deployment', 'web', 'ProgressDeadlineExceeded'));
    plane.put(event('db.1', 'Warning', 'Pod', 'db', 'Unhealthy'));

    const list = async (selector: string) =>
      names(
        (
          await raw(
            plane,
            'GET',
            `/api/v1/namespaces/${NS}/events?fieldSelector=${encodeURIComponent(selector)}`,
          )
        ).body,
      );
    expect(await list('type=Warning')).toEqual(['db.1', 'web.1', 'web.3']);
    expect(await list('involvedObject.name=web')).toEqual(['web.1', 'web.2', 'web.3']);
    expect(await list('involvedObject.name=web,involvedObject.kind=Pod')).toEqual(['web.1', 'web.2']);
    expect(await list('type=Warning,involvedObject.kind=Pod,involvedObject.name!=db')).toEqual(['web.1']);
    expect(await list('reason=Unhealthy')).toEqual(['db.1']);

    const result = await kubectl(
      'get',
      'events',
      '--field-selector',
      'type=Warning,involvedObject.kind=Deployment',
      '-o',
      'name',
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('event/web.3');
  });

  it('rejects field selectors the resource does not have', async () => {
    const response = await raw(
      plane,
      'GET',
      `/api/v1/namespaces/${NS}/configmaps?fieldSelector=involvedObject.name%3Dweb`,
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      reason: 'BadRequest',
      message: 'field label not supported: involvedObject.name',
    });
  });

  it("watches Warning events from a list's resourceVersion", async () => {
    const listed = await raw(plane, 'GET', `/api/v1/namespaces/${NS}/events?fieldSelector=type%3DWarning`);
    const { resourceVersion } = listed.body.metadata as { resourceVersion: string };
    const seen = watchUntil(
      plane,
      `/api/v1/namespaces/${NS}/events?watch=1&fieldSelector=type%3DWarning&resourceVersion=${resourceVersion}`,
      (events) => events.some((e) => e.type === 'DELETED'),
    );
    plane.put(event('api.1', 'Normal', 'Pod', 'api', 'Pulled'));
    plane.put(event('api.2', 'Warning', 'Pod', 'api', 'BackOff'));
    plane.put({ ...event('api.2', 'Warning', 'Pod', 'api', 'BackOff'), count: 2 });
    expect((await kubectl('delete', 'event', 'api.2')).code).toBe(0);
    const events = await seen;
    expect(events.map((e) => [e.type, (e.object.metadata as { name: string }).name, e.object.count])).toEqual(
      [
        ['ADDED', 'api.2', 1],
        ['MODIFIED', 'api.2', 2],
        ['DELETED', 'api.2', 2],
      ],
    );
  });

  it('ends a watch with a BOOKMARK at the current resourceVersion when bookmarks are allowed', async () => {
    const listed = await raw(plane, 'GET', `/api/v1/namespaces/${NS}/events`);
    const { resourceVersion } = listed.body.metadata as { resourceVersion: string };
    plane.put(event('late.1', 'Warning', 'Pod', 'late', 'Failed'));
    const response = await raw(
      plane,
      'GET',
      `/api/v1/namespaces/${NS}/events?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${resourceVersion}`,
    );
    const lines = response.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: KubeObject });
    expect(lines.map((l) => l.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(lines[1]?.object).toEqual({
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { resourceVersion: plane.get('events', 'late.1', NS)?.metadata.resourceVersion },
    });
  });
});
