/**
 * Runs a control plane until SIGINT/SIGTERM:
 *   npx tsx test/support/control-plane/main.ts --kubeconfig /tmp/kubeconfig.yaml [--data-plane | --kcp]
 * With --data-plane, HAProxy and echo pods run as local processes (see data-plane/index.ts).
 * With --kcp it imitates kcp (see kcp/index.ts) and the kubeconfig points at the root workspace.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane } from './index.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string', default: 'kubeconfig.yaml' },
    'data-plane': { type: 'boolean', default: false },
    kcp: { type: 'boolean', default: false },
  },
});
const plane = await startControlPlane(values.kcp ? { kcp: true } : { dataPlane: values['data-plane'] });
const path = plane.writeKubeconfig(resolve(values.kubeconfig), values.kcp ? { workspace: 'root' } : {});
console.log(`control plane listening on ${plane.url}`);
console.log(`kubeconfig written to ${path} (export KUBECONFIG=${path})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void plane.stop().then(() => process.exit(0));
  });
}
