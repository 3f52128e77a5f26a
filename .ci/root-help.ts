/**
 * Renders the root help (`kubectl trigger-gateway --help`, or no arguments at all) at build time, into
 * dist/root-help.json, so that printing it does not load oclif at run time (src/root-help.ts).
 *
 *   npx tsx .ci/root-help.ts     (npm run build runs it after `oclif manifest`)
 *
 * oclif's own Help renders it, from the fresh manifest, once for each way the CLI is named (through
 * kubectl or directly) and each terminal width from oclif's narrowest (40) to the width past which the
 * text no longer changes. Consecutive widths with the same text share one entry. The VERSION line
 * differs per machine, so a placeholder stands in for it and the CLI fills it in.
 */
import type { Config, Interfaces } from '@oclif/core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PrerenderedRootHelp } from '../src/root-help.ts';

// Rendered with colour (oclif makes section headers bold on a colour terminal); the CLI strips it where
// oclif would not colour. Set before oclif's colour detection loads, hence the dynamic imports.
process.env.FORCE_COLOR = '1';
const { Config: OclifConfig, Help } = await import('@oclif/core');
const { KUBECTL_PLUGIN_BIN, PRERENDERED_HELP_FILE, USER_AGENT_PLACEHOLDER } =
  await import('../src/root-help.ts');

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** oclif never renders narrower than this on a terminal. */
const NARROWEST = 40;

async function renderAt(config: Config, width: number): Promise<string> {
  const help = new Help(config, { maxWidth: width });
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await help.showHelp([]);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

export async function renderRootHelp(root = REPO_ROOT): Promise<PrerenderedRootHelp> {
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Interfaces.PJSON;
  const variants: PrerenderedRootHelp['variants'] = [];
  for (const bin of [pjson.oclif.bin ?? pjson.name, KUBECTL_PLUGIN_BIN]) {
    const config = await OclifConfig.load({ root, pjson: { ...pjson, oclif: { ...pjson.oclif, bin } } });
    config.userAgent = USER_AGENT_PLACEHOLDER;
    const unbounded = await renderAt(config, 100_000);
    const widest = Math.max(...unbounded.split('\n').map((line) => line.length));
    let current: PrerenderedRootHelp['variants'][number] | undefined;
    for (let width = NARROWEST; width <= widest + 1; width++) {
      const text = await renderAt(config, width);
      if (current?.text === text) current.toColumns = width;
      else {
        current = { bin, fromColumns: width, toColumns: width, text };
        variants.push(current);
      }
    }
    if (current?.text !== unbounded)
      throw new Error(`the ${bin} help still changes past ${widest + 1} columns`);
    current.toColumns = null;
  }
  return { version: pjson.version, variants };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rendered = await renderRootHelp();
  writeFileSync(join(REPO_ROOT, PRERENDERED_HELP_FILE), `${JSON.stringify(rendered)}\n`);
  console.log(`${PRERENDERED_HELP_FILE}: root help for ${rendered.variants.length} width ranges`);
}
