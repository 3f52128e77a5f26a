/**
 * pods/<name>/log on the data plane: what the echo pod printed, through the real kubectl (logs, -f,
 * --since, --tail, --timestamps, -c, deploy/<name>) and client-node's Log, plus the API's errors.
 */
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { KubeConfig, Log } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../support/control-plane/index.ts';
import { until } from './helpers.ts';
import {
  barePod,
  ECHO,
  type EchoPlane,
  echoContainer,
  httpGet,
  NAMESPACE,
  readyPod,
  startEchoPlane,
} from './pod-io-fixture.ts';

const TIMESTAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (.*)$/;
const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const pathOf = (line: string) => (JSON.parse(line) as { path: string }).path;

interface LogReply {
  status: number;
  contentType: string;
  text: string;
}

describe('pod logs', () => {
  let env: EchoPlane;
  let pod: string;

  /** GET pods/<name>/log with `query`, as `token`. */
  const rawLog = (name: string, query = '', token = 'admin-token', accept?: string) =>
    new Promise<LogReply>((resolve, reject) => {
      const url = new URL(`/api/v1/namespaces/${NAMESPACE}/pods/${name}/log?${query}`, env.plane.url);
      const headers = { Authorization: `Bearer ${token}`, ...(accept ? { Accept: accept } : {}) };
      const req = httpsRequest(url, { headers, ca: env.plane.ca }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', text }),
        );
      });
      req.on('error', reject);
      req.end();
    });

  /** Sends GET `path` to the pod, and waits until its log line has been captured. */
  const served = async (path: string, target: KubeObject | string = env.pod) => {
    const reply = await httpGet(env.plane.dataPlane.podAddress(target, 8080), path);
    expect(reply.status).toBe(200);
    await until(
      () => env.plane.dataPlane.logs(target).includes(`"path":"${path}"`),
      `the log line of ${path}`,
    );
  };

  const kubectl = (...args: string[]) => env.kubectl('logs', '-n', NAMESPACE, ...args);

  beforeAll(async () => {
    env = await startEchoPlane({
      'admin-token': { name: 'admin' },
      'nolog-token': { name: 'nolog', deny: [{ resource: 'pods/log' }] },
    });
    pod = env.pod.metadata.name;
    env.plane.put(barePod('duo', [echoContainer('echo', 8080), echoContainer('sidecar', 9090)]));
    env.plane.put(barePod('plain', [{ name: 'main', image: 'docker.io/library/busybox:1.36' }]));
    await readyPod(env.plane, (p) => p.metadata.name === 'duo');
    await readyPod(env.plane, (p) => p.metadata.name === 'plain');
  });
  afterAll(() => env.stop());

  it('shows what the echo pod printed, requests included, with kubectl logs pod/<name> and deploy/<name>', async () => {
    await served('/logs/first');
    const result = await kubectl(pod);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ip = (env.pod.status as { podIP: string }).podIP;
    expect(lines(result.stdout)[0]).toBe(`echo server listening on ${ip}:8080`);
    expect(lines(result.stdout).slice(1).map(pathOf)).toContain('/logs/first');
    expect(result.stdout).toBe(env.plane.dataPlane.logs(env.pod));

    const viaDeployment = await kubectl(`deploy/${ECHO}`);
    expect(viaDeployment.code).toBe(0);
    expect(viaDeployment.stdout).toBe(result.stdout);
    const logRequests = env.plane.requests.filter((r) => r.path.endsWith('/log'));
    expect(logRequests.at(-1)).toMatchObject({
      method: 'GET',
      path: `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/log`,
      status: 200,
      user: 'admin',
    });
  });

  it('--tail keeps the last lines, --timestamps prefixes each with its RFC3339Nano time', async () => {
    for (const path of ['/tail/1', '/tail/2', '/tail/3']) await served(path);
    const tail = await kubectl(pod, '--tail=2');
    expect(tail.code).toBe(0);
    expect(lines(tail.stdout).map(pathOf)).toEqual(['/tail/2', '/tail/3']);

    const stamped = await kubectl(pod, '--tail=3', '--timestamps');
    expect(stamped.code).toBe(0);
    const parsed = lines(stamped.stdout).map((line) => TIMESTAMPED.exec(line));
    expect(parsed.every(Boolean)).toBe(true);
    expect(parsed.map((m) => m?.[2])).toEqual(lines((await kubectl(pod, '--tail=3')).stdout));
    const times = parsed.map((m) => m?.[1] ?? '');
    expect([...times].sort()).toEqual(times);
    expect(Math.abs(Date.now() - Date.parse(times[2] ?? ''))).toBeLessThan(60_000);

    expect((await kubectl(pod, '--tail=0')).stdout).toBe('');
  });

  it('--since (sinceSeconds) and sinceTime leave out older lines', async () => {
    // Every line so far must be over a second old; the line sent next is not.
    const last = TIMESTAMPED.exec((await rawLog(pod, 'timestamps=true&tailLines=1')).text.trim())?.[1] ?? '';
    expect(last).not.toBe('');
    await until(() => Date.now() - Date.parse(last) > 1200, 'the log to be over a second old');
    await served('/since/fresh');
    const since = await kubectl(pod, '--since=1s');
    expect(since.code).toBe(0);
    expect(lines(since.stdout).map(pathOf)).toEqual(['/since/fresh']);

    const fresh = lines((await rawLog(pod, 'timestamps=true')).text).at(-1) ?? '';
    const second = `${(TIMESTAMPED.exec(fresh)?.[1] ?? '').slice(0, 19)}Z`;
    const sinceTime = await rawLog(pod, `sinceTime=${encodeURIComponent(second)}`);
    expect(sinceTime.status).toBe(200);
    expect(lines(sinceTime.text).map(pathOf)).toEqual(['/since/fresh']);
  });

  it('kubectl logs -f delivers a line that arrives after the stream started', async () => {
    const child = env.kubectl.spawn('logs', '-f', '-n', NAMESPACE, pod, '--tail=1');
    let stdout = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => (stdout += chunk));
    try {
      await until(() => stdout.includes('\n'), 'the tail line');
      expect(lines(stdout)).toHaveLength(1);
      const reply = await httpGet(env.plane.dataPlane.podAddress(env.pod, 8080), '/follow/late');
      expect(reply.status).toBe(200);
      await until(() => lines(stdout).length === 2, 'the followed line');
      expect(JSON.parse(lines(stdout)[1] ?? '')).toMatchObject({ method: 'GET', path: '/follow/late' });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
    }
  });

  it('-c names the container; the API asks for one when a pod has two', async () => {
    const sidecar = await kubectl('duo', '-c', 'sidecar');
    expect(sidecar.code).toBe(0);
    expect(sidecar.stdout).toMatch(/^echo server listening on [\d.]+:9090\n$/);
    // kubectl picks the first container itself, and says so.
    const defaulted = await kubectl('duo');
    expect(defaulted.stdout).toMatch(/:8080\n$/);
    expect(defaulted.stderr).toContain('Defaulted container "echo" out of: echo, sidecar');

    const unnamed = await rawLog('duo');
    expect(unnamed.status).toBe(400);
    expect(JSON.parse(unnamed.text)).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: 'a container name must be specified for pod duo, choose one of: [echo sidecar]',
      code: 400,
    });
    const wrong = await rawLog('duo', 'container=nope');
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.text)).toMatchObject({ message: 'container nope is not valid for pod duo' });
  });

  it('answers previous, a missing pod and a denied user with the real errors', async () => {
    const previous = await kubectl(pod, '-p');
    expect(previous.code).toBe(1);
    expect(previous.stderr).toBe(
      `Error from server (BadRequest): previous terminated container "echo" in pod "${pod}" not found\n`,
    );
    const missing = await kubectl('nope');
    // kubectl words this one itself, from the API's 404.
    expect(missing.stderr).toBe(
      `error: error from server (NotFound): pods "nope" not found in namespace "${NAMESPACE}"\n`,
    );
    const raw = await rawLog('nope');
    expect(raw.status).toBe(404);
    expect(JSON.parse(raw.text)).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' });

    const denied = await rawLog(pod, '', 'nolog-token');
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.text)).toMatchObject({
      reason: 'Forbidden',
      message: `pods "${pod}" is forbidden: User "nolog" cannot get resource "pods/log" in API group "" in the namespace "${NAMESPACE}"`,
    });
  });

  it('negotiates like the real API server: text/plain alone is refused with 406, JSON or */* get the text', async () => {
    const refused = await rawLog(pod, '', 'admin-token', 'text/plain');
    expect(refused.status).toBe(406);
    expect(JSON.parse(refused.text)).toMatchObject({
      reason: 'NotAcceptable',
      message:
        'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    });
    for (const accept of ['application/json, */*', '*/*', 'application/yaml']) {
      const served = await rawLog(pod, '', 'admin-token', accept);
      expect(served.status, accept).toBe(200);
      expect(served.contentType).toBe('text/plain');
    }
  });

  it('serves text/plain, empty for a pod no process runs, cut at limitBytes, and validates its options', async () => {
    const plain = await rawLog('plain');
    expect(plain).toEqual({ status: 200, contentType: 'text/plain', text: '' });
    const full = await rawLog(pod);
    expect(full.contentType).toBe('text/plain');
    expect((await rawLog(pod, 'limitBytes=10')).text).toBe(full.text.slice(0, 10));

    const negative = await rawLog(pod, 'tailLines=-1');
    expect(negative.status).toBe(422);
    expect(JSON.parse(negative.text)).toMatchObject({
      reason: 'Invalid',
      message: `PodLogOptions "${pod}" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`,
    });
    const both = await rawLog(pod, 'sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z');
    expect(both.status).toBe(422);
    expect((await rawLog(pod, 'follow=maybe')).status).toBe(400);
  });

  describe('client-node Log', () => {
    const kubeConfig = () => {
      const kc = new KubeConfig();
      kc.loadFromFile(env.plane.writeKubeconfig(join(env.kubectl.dir, 'client-node.yaml')));
      return kc;
    };
    const collect = (stream: PassThrough) => {
      const out = { text: '', ended: once(stream, 'end') };
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (out.text += chunk));
      return out;
    };

    it('reads the log with tailLines and timestamps', async () => {
      const stream = new PassThrough();
      const out = collect(stream);
      await new Log(kubeConfig()).log(NAMESPACE, pod, 'echo', stream, { tailLines: 2, timestamps: true });
      await out.ended;
      const got = lines(out.text).map((line) => TIMESTAMPED.exec(line));
      expect(got).toHaveLength(2);
      expect(got.map((m) => m?.[2])).toEqual(lines((await rawLog(pod, 'tailLines=2')).text));
    });

    it('follows until the container stops', async () => {
      env.plane.put(barePod('short', [echoContainer('echo', 8080)]));
      const short = await readyPod(env.plane, (p) => p.metadata.name === 'short');
      const stream = new PassThrough();
      const out = collect(stream);
      await new Log(kubeConfig()).log(NAMESPACE, 'short', 'echo', stream, { follow: true, sinceSeconds: 60 });
      await until(() => out.text.includes('echo server listening'), 'the start-up line');
      await served('/client-node/follow', short);
      await until(() => out.text.includes('/client-node/follow'), 'the followed line');

      expect((await env.kubectl('delete', 'pod', '-n', NAMESPACE, 'short')).code).toBe(0);
      await out.ended;
      expect(lines(out.text).slice(1).map(pathOf)).toEqual(['/client-node/follow']);
    });
  });
});
