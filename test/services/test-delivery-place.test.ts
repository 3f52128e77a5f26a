import { describe, expect, it } from 'vitest';
import { type DeliveryTestResult, placeAtGateway } from '../../src/services/test-delivery.ts';

const sent: DeliveryTestResult = {
  route: '/github',
  backend: 'el-github.ci:8080',
  via: 'url',
  url: 'https://hooks.example.com/github',
  delivery: { provider: 'github', event: 'push', id: 'd-1', headers: {}, bytes: 2 },
  status: 200,
  latencyMs: 12,
  responseBody: '{}',
  evidence: [],
  gateway: undefined,
};
const recorded = (route: string | undefined, status: number) => ({
  ...sent,
  gateway: { pod: 'trigger-gateway-abc', route, status, activeMs: 7, totalMs: 7, termination: '----' },
});

describe('where the gateway places a delivery the backend never logged', () => {
  it('never reached the gateway', () => {
    expect(placeAtGateway(sent)).toBe(
      'the gateway has no record of it: it never reached the gateway at https://hooks.example.com/github',
    );
  });

  it('reached it, but no route matched', () => {
    expect(placeAtGateway(recorded(undefined, 404))).toBe(
      'the gateway (pod trigger-gateway-abc) recorded it with no route matched, answering 404',
    );
  });

  it('the backend refused it', () => {
    expect(placeAtGateway(recorded('/github', 403))).toBe(
      'the gateway (pod trigger-gateway-abc) recorded it on /github, and the backend refused it with 403',
    );
  });

  it('the backend took it', () => {
    expect(placeAtGateway(recorded('/github', 202))).toBe(
      'the gateway (pod trigger-gateway-abc) recorded it on /github, and the backend took it (202 in 7 ms)',
    );
  });

  it('a gateway that records no deliveries says how to get that', () => {
    expect(placeAtGateway({ ...sent, gateway: 'not-recording' })).toContain(
      'kubectl trigger-gateway install adds that',
    );
  });
});
