/**
 * upgradeDeliveryLog: a live haproxy.cfg gets the bundled delivery log block, and nothing else in it
 * changes; a hand-made gateway is left alone.
 */
import { describe, expect, it } from 'vitest';
import {
  DELIVERY_LOG_BEGIN,
  DELIVERY_LOG_END,
  deliveryLogBlock,
  hasDeliveryLog,
  upgradeDeliveryLog,
} from '../../src/haproxy/delivery-log-block.ts';
import { CLIENT_END } from '../../src/haproxy/client-block.ts';
import { addRoute, checkGatewayConfig, listRoutes } from '../../src/haproxy/routes.ts';
import {
  bundledGatewayConfig,
  checkConfig,
  findHaproxy,
  haproxyFixture,
  ORIGINAL_FIXTURES,
} from '../support/haproxy.ts';

const bundled = bundledGatewayConfig(false);

/** The config as the gateway had it before the block existed: the same text without the block's lines. */
function withoutBlock(cfg: string): string {
  const lines = cfg.split('\n');
  const begin = lines.findIndex((line) => line.trim() === DELIVERY_LOG_BEGIN);
  const end = lines.findIndex((line) => line.trim() === DELIVERY_LOG_END);
  return [...lines.slice(0, begin), ...lines.slice(end + 1)].join('\n');
}

/** A live config with routes and hand edits in and around the frontend. */
function edited(cfg: string): string {
  const routed = addRoute(
    cfg,
    { match: { type: 'path', path: '/github' }, service: { name: 'el-github', namespace: 'ci', port: 8080 } },
    { overwrite: false },
  ).cfg;
  return routed
    .replace('timeout client 30s', 'timeout client 31s')
    .replace('    bind :8080\n', '    bind :8080\n    # a hand-written note right after bind\n');
}

describe('upgradeDeliveryLog', () => {
  it('the bundled config has the block', () => {
    expect(hasDeliveryLog(bundled)).toBe(true);
    expect(deliveryLogBlock(bundled).at(-2)).toMatch(/^log-format '\{"time":/);
  });

  it('adds the block to a gateway from before it, after bind and the client block, keeping routes and hand edits byte for byte', () => {
    const old = withoutBlock(edited(bundled));
    expect(hasDeliveryLog(old)).toBe(false);
    const upgraded = upgradeDeliveryLog(old, bundled);
    // The client block works out the client the delivery log records: the log goes after it.
    expect(upgraded).toBe(edited(bundled));
    expect(withoutBlock(upgraded)).toBe(old);
    expect(listRoutes(upgraded).map((route) => route.match)).toEqual([{ type: 'path', path: '/github' }]);
    expect(() => checkGatewayConfig(upgraded)).not.toThrow();
  });

  it('keeps CRLF line endings and tab indentation', () => {
    const old = withoutBlock(bundled).replaceAll('\n    ', '\n\t').replaceAll('\n', '\r\n');
    const upgraded = upgradeDeliveryLog(old, bundled);
    expect(upgraded).toContain(`\t${CLIENT_END}\r\n\t${DELIVERY_LOG_BEGIN}\r\n`);
    expect(upgraded).toContain('\r\n\tno log\r\n');
    expect(upgraded.replaceAll('\r\n', '')).not.toContain('\n');
    expect(withoutBlock(upgraded.replaceAll('\r\n', '\n')).replaceAll('\n', '\r\n')).toBe(old);
  });

  it('replaces an outdated block and nothing else', () => {
    const current = edited(bundled);
    const outdated = current.replace(/\{128\}/g, '{64}').replace('"t_total":%Tt,', '');
    expect(outdated).not.toBe(current);
    expect(upgradeDeliveryLog(outdated, bundled)).toBe(current);
  });

  it('leaves an up-to-date config as it is', () => {
    const current = edited(bundled);
    expect(upgradeDeliveryLog(current, bundled)).toBe(current);
  });

  it.each(ORIGINAL_FIXTURES)('leaves the hand-made gateway %s as it is', (name) => {
    const cfg = haproxyFixture(name);
    expect(upgradeDeliveryLog(cfg, bundled)).toBe(cfg);
  });

  it.skipIf(!findHaproxy())('HAProxy accepts the upgraded config', async () => {
    const result = await checkConfig(
      findHaproxy() ?? 'haproxy',
      upgradeDeliveryLog(withoutBlock(edited(bundled)), bundled),
    );
    expect(result.output).not.toMatch(/WARNING|ALERT/);
    expect(result.ok, result.output).toBe(true);
  });
});
