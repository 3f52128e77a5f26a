/**
 * Start-up benchmark: how the plugin's commands compare with kubectl doing the same kind of work,
 * side by side, against the same local control plane.
 *
 *   npx tsx test/bench/startup.ts [--runs=15] [--warmup=2] [--plugin-dir=DIR]
 *
 * --plugin-dir runs the kubectl-trigger_gateway found in DIR (an unpacked release archive, say)
 * instead of the repository's bin/, which runs dist/ on the repository's Node.
 *
 * Pairs, each run through the real kubectl (so the plugin's cost includes kubectl finding and
 * starting it, as users run it):
 *   - `kubectl trigger-gateway --help`        vs `kubectl version --client`          goal ≤ 2×
 *   - `kubectl trigger-gateway route list`    vs `kubectl get configmap …`           goal ≤ 1.5×
 *   - `kubectl trigger-gateway route add … --no-wait` (read, validate, write)
 *                                             vs `kubectl patch configmap …`         goal ≤ 1.5×
 *
 * Two reference rows (no goal) show what any Node plugin costs here, before any code of ours runs:
 *   - a plugin that only starts Node and exits                    vs `kubectl get configmap …`
 *   - a plugin that starts Node and GETs the ConfigMap over HTTPS vs `kubectl get configmap …`
 *     (its kubeconfig read by regular expressions, no YAML parser, no output)
 * Runs are interleaved (plugin, kubectl, plugin, …) after a warm-up; medians are compared. Results go
 * to test/bench/results/startup-<date>.json and are printed as a Markdown table. Exits 1 when a goal
 * is missed, 2 when a command fails. Not part of `npm test`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pluginPath, REPO_ROOT } from '../support/cli.ts';
import { startControlPlane } from '../support/control-plane/index.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '2' },
    'plugin-dir': { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);

interface Pair {
  name: string;
  /** null for the reference rows, which measure Node itself rather than our plugin. */
  goal: number | null;
  plugin: (run: number) => string[];
  kubectl: (run: number) => string[];
}

const PAIRS: Pair[] = [
  {
    name: '--help',
    goal: 2,
    plugin: () => ['trigger-gateway', '--help'],
    kubectl: () => ['version', '--client'],
  },
  {
    name: 'route list',
    goal: 1.5,
    plugin: () => ['trigger-gateway', 'route', 'list'],
    kubectl: () => ['get', 'configmap', 'trigger-gateway-haproxy', '-n', 'trigger-gateway'],
  },
  {
    name: 'route add --no-wait',
    goal: 1.5,
    plugin: (run) => [
      'trigger-gateway',
      'route',
      'add',
      `/bench-${run}`,
      `svc-${run}.bench:8080`,
      '--no-wait',
    ],
    kubectl: (run) => [
      'patch',
      'configmap',
      'trigger-gateway-haproxy',
      '-n',
      'trigger-gateway',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ metadata: { annotations: { 'bench/run': String(run) } } }),
    ],
  },
  {
    name: 'reference: a Node plugin that does nothing',
    goal: null,
    plugin: () => ['bench-node-nothing'],
    kubectl: () => ['get', 'configmap', 'trigger-gateway-haproxy', '-n', 'trigger-gateway'],
  },
  {
    name: 'reference: a Node plugin that only GETs the ConfigMap',
    goal: null,
    plugin: () => ['bench-node-get'],
    kubectl: () => ['get', 'configmap', 'trigger-gateway-haproxy', '-n', 'trigger-gateway'],
  },
];

/** The reference plugins: the least a kubectl plugin written for Node can do. */
const REFERENCE_PLUGINS = {
  'kubectl-bench_node_nothing': '#!/usr/bin/env node\n',
  'kubectl-bench_node_get': `#!/usr/bin/env node
const { readFileSync } = process.getBuiltinModule('node:fs');
const https = process.getBuiltinModule('node:https');
const kubeconfig = readFileSync(process.env.KUBECONFIG, 'utf8');
const field = (name) => new RegExp(\`\${name}: (\\\\S+)\`).exec(kubeconfig)[1];
const ca = Buffer.from(field('certificate-authority-data'), 'base64');
const url = \`\${field('server')}/api/v1/namespaces/trigger-gateway/configmaps/trigger-gateway-haproxy\`;
https
  .get(url, { ca, headers: { authorization: \`Bearer \${field('token')}\` } }, (response) => {
    response.resume();
    response.on('end', () => process.exit(response.statusCode === 200 ? 0 : 1));
  })
  .on('error', () => process.exit(1));
`,
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

const plane = await startControlPlane();
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-startup-'));
const referenceDir = join(dir, 'reference-plugins');
mkdirSync(referenceDir);
for (const [name, text] of Object.entries(REFERENCE_PLUGINS))
  writeFileSync(join(referenceDir, name), text, { mode: 0o755 });
const env = {
  PATH: [
    referenceDir,
    values['plugin-dir'] ? `${resolve(values['plugin-dir'])}${delimiter}${process.env.PATH}` : pluginPath(),
  ].join(delimiter),
  HOME: dir,
  KUBECONFIG: plane.writeKubeconfig(join(dir, 'kubeconfig')),
  NO_COLOR: '1',
};

/** Runs kubectl without blocking: the control plane answers from this same process. */
function timed(args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile('kubectl', args, { env, encoding: 'utf8' }, (error, _stdout, stderr) => {
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (error) {
        console.error(`kubectl ${args.join(' ')} failed (${error.code}):\n${stderr}`);
        process.exit(2);
      }
      resolve(elapsed);
    });
  });
}

try {
  await timed(['trigger-gateway', 'install', '--no-wait']);
  let counter = 0;
  const results = [];
  for (const pair of PAIRS) {
    for (let run = 0; run < WARMUP; run++) {
      await timed(pair.plugin(counter++));
      await timed(pair.kubectl(counter++));
    }
    const plugin: number[] = [];
    const kubectl: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, alternating which goes first, so drift on the machine hits both alike.
      const first = run % 2 === 0;
      if (first) plugin.push(await timed(pair.plugin(counter++)));
      kubectl.push(await timed(pair.kubectl(counter++)));
      if (!first) plugin.push(await timed(pair.plugin(counter++)));
    }
    const ratio = median(plugin) / median(kubectl);
    results.push({
      name: pair.name,
      pluginMs: Math.round(median(plugin)),
      kubectlMs: Math.round(median(kubectl)),
      ratio: Math.round(ratio * 100) / 100,
      goal: pair.goal,
      met: pair.goal === null ? null : ratio <= pair.goal,
      kubectl: `kubectl ${pair.kubectl(0).join(' ')}`,
    });
  }
  const lines = [
    '| command | plugin (median) | kubectl (median) | ratio | goal |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.name} (vs \`${r.kubectl.split(' ').slice(0, 3).join(' ')}\`) | ${r.pluginMs} ms | ${r.kubectlMs} ms | ${r.ratio}× | ${r.goal === null ? '(reference)' : `≤ ${r.goal}× ${r.met ? '✓' : '✗'}`} |`,
    ),
  ];
  console.log(lines.join('\n'));
  const kubectlVersion = execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const resultsDir = join(REPO_ROOT, 'test', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const suffix = values['plugin-dir'] ? '-executable' : '';
  const file = join(resultsDir, `startup${suffix}-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        runs: RUNS,
        warmup: WARMUP,
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        node: process.version,
        plugin: values['plugin-dir']
          ? `${values['plugin-dir']}/kubectl-trigger_gateway`
          : 'bin/kubectl-trigger_gateway',
        kubectl: JSON.parse(kubectlVersion).clientVersion?.gitVersion,
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`written to ${file}`);
  process.exitCode = results.every((r) => r.met !== false) ? 0 : 1;
} finally {
  await plane.stop();
}
