import { describe, expect, it } from 'vitest';
import { combineBackendStats, parseBuildVersion, parseStatsCsv } from '../../src/haproxy/stats.ts';

// The columns HAProxy 2.6 prints, cut to the ones that matter here plus a few around them.
const CSV = `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,status,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,req_tot,lastsess,
web,FRONTEND,,,1,3,262120,40,0,0,OPEN,0,30,0,8,2,40,,
be_github,s1,0,0,0,1,,12,0,0,UP,0,10,0,1,1,,3,
be_github,BACKEND,0,0,1,2,26212,12,0,0,UP,0,10,0,1,1,12,3,
be_gitlab,BACKEND,0,0,0,0,26212,0,0,0,DOWN,0,0,0,0,0,0,-1,
stats,FRONTEND,,,1,1,262120,5,0,0,OPEN,0,5,0,0,0,5,,
`;

describe('parseStatsCsv', () => {
  it('reads each BACKEND row by backend name', () => {
    const stats = parseStatsCsv(CSV);
    expect([...stats.keys()]).toEqual(['be_github', 'be_gitlab']);
    expect(stats.get('be_github')).toEqual({
      status: 'UP',
      sessions: 1,
      requests: 12,
      http2xx: 10,
      http4xx: 1,
      http5xx: 1,
      lastRequestSeconds: 3,
    });
  });

  it('has no last request for a backend that never had one (HAProxy says -1)', () => {
    expect(parseStatsCsv(CSV).get('be_gitlab')).toMatchObject({
      status: 'DOWN',
      lastRequestSeconds: undefined,
    });
  });

  it('finds nothing in something that is not the CSV (an HTML error page)', () => {
    expect(parseStatsCsv('<html><body>503</body></html>').size).toBe(0);
    expect(parseStatsCsv('').size).toBe(0);
  });
});

describe('combineBackendStats', () => {
  const pod = (status: string, requests: number, last: number | undefined) => ({
    status,
    sessions: 1,
    requests,
    http2xx: requests,
    http4xx: 0,
    http5xx: 0,
    lastRequestSeconds: last,
  });

  it('adds the pods up, keeps the freshest last request, and is UP when any pod says so', () => {
    expect(combineBackendStats([pod('DOWN', 3, 40), pod('UP', 5, 2), pod('UP', 1, undefined)])).toEqual({
      status: 'UP',
      sessions: 3,
      requests: 9,
      http2xx: 9,
      http4xx: 0,
      http5xx: 0,
      lastRequestSeconds: 2,
    });
  });

  it('has nothing to say without readings', () => {
    expect(combineBackendStats([])).toBeUndefined();
  });
});

describe('parseBuildVersion', () => {
  it("reads the version from HAProxy's Prometheus build info", () => {
    const metrics =
      '# TYPE haproxy_process_build_info gauge\nhaproxy_process_build_info{version="2.6.12-1+deb12u4"} 1\n';
    expect(parseBuildVersion(metrics)).toBe('2.6.12-1+deb12u4');
    expect(parseBuildVersion('')).toBeUndefined();
  });
});
