/**
 * The main job on a machine without a cluster: start the local control plane, install the gateway
 * with the echo backend through the real kubectl, and show what was created.
 *
 *   npm run sandbox            stays up for more commands until Ctrl-C
 *   npm run sandbox -- --once  exits after the install (used by the tests)
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pluginPath, REPO_ROOT } from './cli.ts';
import { startControlPlane } from './control-plane/index.ts';
import { findHaproxy } from './haproxy.ts';

function kubectl(args: string[], kubeconfig: string): Promise<number> {
  return new Promise((resolve) => {
    process.stdout.write(`\n$ kubectl ${args.join(' ')}\n`);
    const child = spawn('kubectl', args, {
      stdio: 'inherit',
      env: { ...process.env, KUBECONFIG: kubeconfig, PATH: pluginPath() },
    });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', (error) => {
      process.stderr.write(`cannot run kubectl: ${error.message}\n`);
      resolve(127);
    });
  });
}

async function main(): Promise<number> {
  const once = process.argv.includes('--once');
  const directory = join(REPO_ROOT, '.sandbox');
  mkdirSync(directory, { recursive: true });
  // With Debian's haproxy installed, the gateway pods run it for real and the sandbox sends a webhook.
  const haproxy = findHaproxy();
  const plane = await startControlPlane({ dataPlane: haproxy !== undefined });
  const kubeconfig = plane.writeKubeconfig(join(directory, 'kubeconfig'), { context: 'sandbox' });
  process.stdout.write(`Local control plane at ${plane.url} (kubeconfig: ${kubeconfig})\n`);

  const steps = [
    ['trigger-gateway', 'install', '--with-echo'],
    ['get', 'deployments,services,ingresses,poddisruptionbudgets,configmaps', '-n', 'trigger-gateway'],
    ['get', 'deployments,services,pods', '-n', 'trigger'],
    ['trigger-gateway', 'route', 'add', '/github', 'httpecho.trigger:80', '--strip-prefix'],
    ['trigger-gateway', 'route', 'list'],
  ];
  for (const step of steps) {
    const code = await kubectl(step, kubeconfig);
    if (code !== 0) {
      await plane.stop();
      return code;
    }
  }
  if (plane.dataPlane) {
    const { host, port } = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
    for (const path of ['/trigger/push', '/github/push', '/unknown']) {
      const response = await fetch(`http://${host}:${port}${path}`, {
        method: 'POST',
        body: '{"ref":"refs/heads/main"}',
      });
      process.stdout.write(
        `\nPOST ${path} through the gateway (real HAProxy): ${response.status}\n${(await response.text()).slice(0, 300)}\n`,
      );
    }
  } else {
    process.stdout.write(
      '\n(haproxy is not installed: the gateway pods are simulated, so no request is sent through them)\n',
    );
  }
  if (once) {
    await plane.stop();
    return 0;
  }
  process.stdout.write(
    `\nThe sandbox stays up. In another shell:\n  export KUBECONFIG=${kubeconfig} PATH=${join(REPO_ROOT, 'bin')}:$PATH\n  kubectl trigger-gateway install --replicas 3\nCtrl-C stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await plane.stop();
  return 0;
}

process.exitCode = await main();
