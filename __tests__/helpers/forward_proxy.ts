// A small HTTP proxy on 127.0.0.1 that counts what goes through it: CONNECT tunnels (https)
// and absolute-URI requests (http). Every host name it is asked for is reached on 127.0.0.1
// at the same port, so tests can use names that are not loopback (a proxy skips loopback)
// while no byte leaves the machine.
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  /** `CONNECT` or the forwarded method. */
  method: string;
  /** `host:port` for CONNECT, the absolute URL otherwise. */
  target: string;
  /** The Proxy-Authorization header, when one was sent. */
  proxyAuthorization?: string;
}

export class ForwardProxy {
  readonly requests: ProxiedRequest[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor() {
    this.#server = createServer((req, res) => {
      const entry: ProxiedRequest = { method: req.method ?? '', target: req.url ?? '' };
      if (req.headers['proxy-authorization']) entry.proxyAuthorization = req.headers['proxy-authorization'];
      this.requests.push(entry);
      let url: URL;
      try {
        url = new URL(req.url ?? '');
      } catch {
        res.writeHead(400).end('absolute URI required');
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      delete headers['proxy-connection'];
      const upstream = httpRequest(
        { host: '127.0.0.1', port: Number(url.port || 80), method: req.method, path: `${url.pathname}${url.search}`, headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end());
      req.pipe(upstream);
    });
    this.#server.on('connect', (req, client: Socket, head: Buffer) => {
      const entry: ProxiedRequest = { method: 'CONNECT', target: req.url ?? '' };
      if (req.headers['proxy-authorization']) entry.proxyAuthorization = req.headers['proxy-authorization'];
      this.requests.push(entry);
      this.#sockets.add(client);
      client.on('close', () => this.#sockets.delete(client));
      const port = Number((req.url ?? '').split(':').at(-1));
      const upstream = connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.#sockets.add(upstream);
      upstream.on('close', () => this.#sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
