import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { type Kubectl, kubectlFor } from './helpers.ts';

// kubectl applies a directory's files in name order, so the namespace comes first.
const GATEWAY = {
  '00-namespace.yaml': `apiVersion: v1
kind: Namespace
metadata:
  name: gateway
`,
  '10-configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: haproxy
  namespace: gateway
data:
  haproxy.cfg: |
    global
      daemon
`,
  '20-deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: haproxy
  namespace: gateway
  labels: {app: haproxy}
spec:
  replicas: 2
  selector:
    matchLabels: {app: haproxy}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  template:
    metadata:
      labels: {app: haproxy}
    spec:
      containers:
        - name: haproxy
          image: haproxy:3.0
          ports:
            - {name: http, containerPort: 8080}
          volumeMounts:
            - {name: config, mountPath: /usr/local/etc/haproxy}
      volumes:
        - name: config
          configMap: {name: haproxy}
`,
  '30-service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: haproxy
  namespace: gateway
spec:
  selector: {app: haproxy}
  ports:
    - {name: http, port: 80, targetPort: http}
`,
  '40-ingress.yaml': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: haproxy
  namespace: gateway
spec:
  rules:
    - host: hooks.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: haproxy
                port: {name: http}
`,
  '50-pdb.yaml': `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: haproxy
  namespace: gateway
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: haproxy}
`,
};

let plane: ControlPlane;
let kubectl: Kubectl;
let dir: string;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane);
  dir = join(kubectl.dir, 'manifests');
  mkdirSync(dir);
  for (const [file, text] of Object.entries(GATEWAY)) writeFileSync(join(dir, file), text);
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

describe('applying a directory of manifests', () => {
  it('creates every object, with validation on and no warnings', async () => {
    const result = await kubectl('apply', '-f', dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').sort()).toEqual([
      'configmap/haproxy created',
      'deployment.apps/haproxy created',
      'ingress.networking.k8s.io/haproxy created',
      'namespace/gateway created',
      'poddisruptionbudget.policy/haproxy created',
      'service/haproxy created',
    ]);
    // kubectl left validation to the server (the OpenAPI v3 documents declare fieldValidation).
    expect(
      plane.requests
        .filter((r) => r.method === 'POST')
        .every((r) => r.query.includes('fieldValidation=Strict')),
    ).toBe(true);
    const status = await kubectl('rollout', 'status', 'deploy/haproxy', '-n', 'gateway', '--timeout=30s');
    expect(status.stdout).toContain('successfully rolled out');
  });

  it('re-applies unchanged objects as unchanged', async () => {
    const before = plane.list('poddisruptionbudgets', 'gateway')[0]?.metadata.resourceVersion;
    const result = await kubectl('apply', '-f', dir);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    for (const kind of [
      'namespace/gateway',
      'configmap/haproxy',
      'deployment.apps/haproxy',
      'service/haproxy',
    ]) {
      expect(lines).toContain(`${kind} unchanged`);
    }
    // A PDB's selector has patchStrategy=replace, so kubectl always sends it and says "configured",
    // as against a real cluster; the server sees no change.
    expect(lines).toContain('poddisruptionbudget.policy/haproxy configured');
    expect(plane.list('poddisruptionbudgets', 'gateway')[0]?.metadata.resourceVersion).toBe(before);
  });

  it('applies the same directory server-side', async () => {
    const result = await kubectl('apply', '--server-side', '--force-conflicts', '-f', dir);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('deployment.apps/haproxy serverside-applied');
    const service = await kubectl('get', 'svc', 'haproxy', '-n', 'gateway');
    expect(service.stdout).toMatch(
      /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nhaproxy\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP/,
    );
  });
});
