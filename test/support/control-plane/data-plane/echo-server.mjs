/**
 * Stands in for the mendhak/http-https-echo image: answers every request with 200 and a JSON echo of
 * it, and prints the same JSON as ONE line on stdout (unless the path is LOG_IGNORE_PATH), so the
 * pod's log shows exactly what a listener would have been sent. Listens on POD_IP:HTTP_PORT.
 *
 * Plain JavaScript, so any Node the tests run under starts it directly and fast.
 */
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const host = process.env.POD_IP ?? '127.0.0.1';
const port = Number(process.env.HTTP_PORT ?? 8080);
const ignore = process.env.LOG_IGNORE_PATH;

const server = createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://echo');
    const body = Buffer.concat(chunks).toString('utf8');
    /** @type {Record<string, unknown>} */
    const echo = {
      path: url.pathname,
      headers: req.headers,
      method: req.method,
      body,
      hostname: req.headers.host?.split(':')[0] ?? '',
      ip: req.socket.remoteAddress ?? '',
      protocol: 'http',
      query: Object.fromEntries(url.searchParams),
      os: { hostname: process.env.HOSTNAME ?? hostname() },
    };
    if (String(req.headers['content-type'] ?? '').includes('json')) {
      try {
        echo.json = JSON.parse(body);
      } catch {
        // Not JSON after all: the raw body is echoed anyway.
      }
    }
    const text = JSON.stringify(echo);
    if (url.pathname !== ignore) process.stdout.write(`${text}\n`);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(text);
  });
});

server.listen(port, host, () => {
  process.stderr.write(`echo server listening on ${host}:${port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
