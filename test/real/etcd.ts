/**
 * Compacting the real control plane's etcd, as the API server itself does every five minutes: the
 * history before the current revision is gone, so watches from older resourceVersions get 410 Gone.
 * Through etcd's own JSON gateway (/v3/kv/...), with the API server's etcd client certificate.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface EtcdConnection {
  /** https://127.0.0.1:PORT */
  url: string;
  /** Paths of the etcd CA and of a client certificate and key it trusts. */
  ca: string;
  cert: string;
  key: string;
}

function post<T>(etcd: EtcdConnection, path: string, body: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, etcd.url),
      {
        method: 'POST',
        ca: readFileSync(etcd.ca),
        cert: readFileSync(etcd.cert),
        key: readFileSync(etcd.key),
        headers: { 'Content-Type': 'application/json' },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(text) as T)
            : reject(new Error(`etcd ${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`etcd ${path}: no answer`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Compacts etcd at its current revision and returns that revision. */
export async function compactEtcd(etcd: EtcdConnection): Promise<number> {
  // Any read answers with the store's current revision in its header.
  const { header } = await post<{ header: { revision: string } }>(etcd, '/v3/kv/range', {
    key: Buffer.from('/').toString('base64'),
    limit: 1,
  });
  await post(etcd, '/v3/kv/compaction', { revision: header.revision, physical: true });
  return Number(header.revision);
}
