/**
 * The route limit flags, shared by `route add` (a route's own values) and `install` (the gateway
 * defaults): the same names, the same syntax, the same checks, done before anything is read or written.
 */
import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { usageError } from './errors.ts';
import {
  parseCidrFile,
  parseCidrList,
  parseConcurrency,
  parseRate,
  parseSize,
  type RouteLimitSettings,
} from './haproxy/routes.ts';

export function limitFlags(scope: 'route' | 'gateway') {
  const whose = scope === 'route' ? 'this route' : 'routes that set none themselves';
  return {
    'max-body': Flags.string({
      summary: `Largest request body for ${whose}, e.g. 1KiB or 25MiB; larger ones get 413 (none: no limit).`,
      helpGroup: 'LIMITS',
    }),
    'rate-limit': Flags.string({
      summary: `Requests per second or minute for ${whose}, e.g. 100/s or 600/m, per gateway pod; beyond it 429 (none: no limit).`,
      helpGroup: 'LIMITS',
    }),
    'rate-limit-per-source': Flags.boolean({
      summary: 'Apply --rate-limit to each client address instead of to the whole route.',
      dependsOn: ['rate-limit'],
      helpGroup: 'LIMITS',
    }),
    'allow-from': Flags.string({
      summary: `Client addresses allowed on ${whose}, CIDR[,CIDR…]; others get 403 (any: everyone).`,
      helpGroup: 'LIMITS',
    }),
    'allow-from-file': Flags.string({
      summary:
        'Like --allow-from, from a file of CIDRs (blanks, commas or lines between them; # comments); - reads standard input.',
      helpGroup: 'LIMITS',
    }),
    'max-concurrent': Flags.string({
      summary: `Requests in flight to the listener at once for ${whose}; the rest wait up to 5s, then 503 (none: no limit).`,
      helpGroup: 'LIMITS',
    }),
  };
}

export interface LimitFlagValues {
  'max-body'?: string | undefined;
  'rate-limit'?: string | undefined;
  'rate-limit-per-source'?: boolean | undefined;
  'allow-from'?: string | undefined;
  'allow-from-file'?: string | undefined;
  'max-concurrent'?: string | undefined;
}

function readCidrFile(path: string): string[] {
  let content: string;
  try {
    // "-": standard input, as `kubectl apply -f -` reads it.
    content = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw usageError(`--allow-from-file: cannot read ${path}`, (error as Error).message, [
      'pass a file of CIDRs, e.g. curl -s https://api.github.com/meta | jq -r ".hooks[]" > github-hooks.txt',
    ]);
  }
  return parseCidrFile(content, path === '-' ? 'standard input' : path);
}

/** The limits the flags set; those not given are left out (a route follows the default, install keeps it). */
export function limitsFromFlags(flags: LimitFlagValues): RouteLimitSettings {
  const limits: RouteLimitSettings = {};
  if (flags['max-body'] !== undefined) limits.maxBody = parseSize(flags['max-body']);
  if (flags['rate-limit'] !== undefined) {
    limits.rateLimit = parseRate(flags['rate-limit'], flags['rate-limit-per-source'] ?? false);
  }
  const listed = flags['allow-from'] === undefined ? undefined : parseCidrList(flags['allow-from']);
  const filed = flags['allow-from-file'] === undefined ? undefined : readCidrFile(flags['allow-from-file']);
  if (listed === null && filed !== undefined) {
    throw usageError(
      '--allow-from any and --allow-from-file contradict each other',
      'any allows every address',
      ['drop --allow-from any, or the file'],
    );
  }
  if (listed !== undefined || filed !== undefined) {
    limits.allowFrom = listed === null ? null : [...new Set([...(listed ?? []), ...(filed ?? [])])];
  }
  if (flags['max-concurrent'] !== undefined) limits.maxConcurrent = parseConcurrency(flags['max-concurrent']);
  return limits;
}
