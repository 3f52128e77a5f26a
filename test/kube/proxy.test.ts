/**
 * Which proxy a request goes through, by the rules kubectl follows (Go's golang.org/x/net/http/httpproxy,
 * and the kubeconfig's proxy-url before it). Pure: every case is a row.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import {
  bypassesProxy,
  describeProxy,
  parseProxyUrl,
  parseProxyValue,
  proxyEnvironment,
  proxyFor,
} from '../../src/kube/proxy.ts';

const NO_PROXY =
  'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, ' +
  '2001:db8::52:0:1, [2001:db8::52:0:3]:443, 2002:db8:a::45/64, api.example.org:6443';

describe('NO_PROXY', () => {
  it.each([
    // Never proxied, whatever NO_PROXY says.
    ['http://localhost:80', true],
    ['https://localhost:6443', true],
    ['https://127.0.0.1:6443', true],
    ['https://127.0.0.2', true],
    ['https://[::1]:6443', true],
    ['https://[::ffff:127.0.0.1]:6443', true],
    ['https://[::2]', false],
    ['https://foo.localhost', false],
    ['https://localhost.net', false],
    // Host names: "foobar.com" covers itself and its subdomains, nothing else that ends the same.
    ['https://foobar.com', true],
    ['https://www.foobar.com', true],
    ['https://FOOBAR.com', true],
    ['https://foofoobar.com', false],
    // A leading dot, or "*.", covers the subdomains only.
    ['https://barbaz.net', false],
    ['https://www.barbaz.net', true],
    ['https://barbarbaz.net', false],
    ['https://wildcard.io', false],
    ['https://nested.wildcard.io', true],
    ['https://awildcard.io', false],
    ['https://baz.com', false],
    // host:port matches that port only; the URL's port is its scheme's default when it has none.
    ['https://api.example.org:6443', true],
    ['https://api.example.org', false],
    ['http://192.168.1.3', true],
    ['http://192.168.1.3:8080', false],
    ['http://192.168.1.2:81', true],
    ['http://192.168.1.2', false],
    // IP addresses and CIDRs, IPv4 and IPv6, IPv4-mapped IPv6 included.
    ['https://192.168.1.1:6443', true],
    ['https://192.168.1.4', false],
    ['https://10.0.0.2:6443', true],
    ['https://10.0.0.4:6443', false],
    ['https://[::ffff:10.0.0.1]', true],
    ['https://[2001:db8::52:0:1]', true],
    ['https://[2001:db8::52:0:2]', false],
    ['https://[2001:db8::52:0:3]', true],
    ['https://[2001:db8::52:0:3]:6443', false],
    ['https://[2002:db8:a::123]:6443', true],
    ['https://[2002:db8:b::123]:6443', false],
    ['https://[fe80::424b:c8be:1643:a1b6]', false],
  ])('%s: bypasses the proxy %s', (url, bypassed) => {
    expect(bypassesProxy(new URL(url), NO_PROXY)).toBe(bypassed);
  });

  it.each([
    ['*', 'https://anything.example.com', true],
    [' * ', 'https://10.1.2.3', true],
    ['example.com,*', 'https://other.org', true],
    ['', 'https://example.com', false],
    [' , ,', 'https://example.com', false],
    ['EXAMPLE.COM', 'https://api.example.com', true],
    ['bücher.example', 'https://api.xn--bcher-kva.example', true],
    ['10.0.0.0/8', 'https://cluster.10.example', false],
    [':6443', 'https://example.com:6443', false],
  ])('NO_PROXY=%j: %s bypasses %s', (noProxy, url, bypassed) => {
    expect(bypassesProxy(new URL(url), noProxy)).toBe(bypassed);
  });
});

describe('the proxy environment variables', () => {
  const route = (env: Record<string, string>, url: string) => {
    const found = proxyFor(new URL(url), undefined, proxyEnvironment(env));
    return found && `${found.url.href} from ${found.source}`;
  };

  it.each([
    // The URL's scheme picks the variable.
    [
      { HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'http://plain:3128' },
      'https://k8s.example',
      'http://secure:3128/ from HTTPS_PROXY',
    ],
    [
      { HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'http://plain:3128' },
      'http://k8s.example',
      'http://plain:3128/ from HTTP_PROXY',
    ],
    [{ HTTP_PROXY: 'http://plain:3128' }, 'https://k8s.example', undefined],
    // Upper case first, as Go reads them; an empty value counts as unset.
    [
      { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' },
      'https://k8s.example',
      'http://upper:1/ from HTTPS_PROXY',
    ],
    [
      { HTTPS_PROXY: '', https_proxy: 'http://lower:2' },
      'https://k8s.example',
      'http://lower:2/ from https_proxy',
    ],
    [{ https_proxy: 'http://lower:2' }, 'https://k8s.example', 'http://lower:2/ from https_proxy'],
    // NO_PROXY, then no_proxy.
    [
      { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'k8s.example', no_proxy: 'other' },
      'https://k8s.example',
      undefined,
    ],
    [
      { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'other', no_proxy: 'k8s.example' },
      'https://k8s.example',
      'http://p:1/ from HTTPS_PROXY',
    ],
    [{ HTTPS_PROXY: 'http://p:1', no_proxy: 'k8s.example' }, 'https://k8s.example', undefined],
    // Loopback never, even without NO_PROXY.
    [{ HTTPS_PROXY: 'http://p:1' }, 'https://127.0.0.1:6443', undefined],
    // https:// and socks5:// proxies; a value without a scheme is http://.
    [
      { HTTPS_PROXY: 'https://p.example:8443' },
      'https://k8s.example',
      'https://p.example:8443/ from HTTPS_PROXY',
    ],
    [{ HTTPS_PROXY: 'socks5://p.example' }, 'https://k8s.example', 'socks5://p.example from HTTPS_PROXY'],
    [{ HTTPS_PROXY: 'p.example:3128' }, 'https://k8s.example', 'http://p.example:3128/ from HTTPS_PROXY'],
    [{ HTTPS_PROXY: '10.1.2.3:3128' }, 'https://k8s.example', 'http://10.1.2.3:3128/ from HTTPS_PROXY'],
    // REQUEST_METHOD does not matter to https:// URLs.
    [
      { HTTPS_PROXY: 'http://p:1', REQUEST_METHOD: 'POST' },
      'https://k8s.example',
      'http://p:1/ from HTTPS_PROXY',
    ],
  ])('%j: %s goes through %s', (env, url, expected) => {
    expect(route(env, url)).toBe(expected);
  });

  it('in a CGI environment (REQUEST_METHOD set) HTTP_PROXY is refused for http:// URLs, as Go refuses it', () => {
    const env = proxyEnvironment({ HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET' });
    expect(() => proxyFor(new URL('http://k8s.example'), undefined, env)).toThrow(GatewayError);
    expect(() => proxyFor(new URL('http://k8s.example'), undefined, env)).toThrow(/REQUEST_METHOD is set/);
    // Exempt by NO_PROXY: nothing to refuse.
    const exempt = proxyEnvironment({ HTTP_PROXY: 'http://p:1', REQUEST_METHOD: 'GET', NO_PROXY: '*' });
    expect(proxyFor(new URL('http://k8s.example'), undefined, exempt)).toBeUndefined();
  });

  it("parses values as Go's parseProxy does", () => {
    expect(parseProxyValue('proxy.corp')?.href).toBe('http://proxy.corp/');
    expect(parseProxyValue('http://u:p%40ss@proxy.corp:3128')?.password).toBe('p%40ss');
    expect(parseProxyValue('socks5://127.0.0.1')?.protocol).toBe('socks5:');
  });
});

describe("the kubeconfig's proxy-url", () => {
  const proxyUrl = parseProxyUrl('socks5://user:secret@jump.example:1080', 'prod');

  it('wins over the environment, for every URL, loopback and NO_PROXY hosts included', () => {
    const env = proxyEnvironment({ HTTPS_PROXY: 'http://env:3128', NO_PROXY: '*' });
    for (const url of ['https://k8s.example', 'https://127.0.0.1:6443', 'http://localhost:8001'])
      expect(proxyFor(new URL(url), proxyUrl, env)).toBe(proxyUrl);
  });

  it('takes http, https and socks5 only, as kubectl does', () => {
    expect(parseProxyUrl('http://p:3128', 'prod').url.host).toBe('p:3128');
    expect(parseProxyUrl('https://p', 'prod').url.protocol).toBe('https:');
    expect(() => parseProxyUrl('ftp://p', 'prod')).toThrow('the proxy-url of cluster "prod"');
    expect(() => parseProxyUrl('not a url', 'prod')).toThrow(GatewayError);
  });

  it('is shown without its user name and password, with where it came from', () => {
    expect(describeProxy(proxyUrl)).toBe("socks5://jump.example:1080 (from the kubeconfig's proxy-url)");
    const env = proxyEnvironment({ https_proxy: 'http://me:pw@p.example:3128' });
    expect(describeProxy(env.https!)).toBe('http://p.example:3128 (from https_proxy)');
  });
});
