/**
 * Preloaded (`node --import`) into the peers: supergateway cannot be told where to listen and
 * binds every interface. Every TCP listen() here gets host 127.0.0.1, so the benchmark never opens
 * a port beyond loopback. Unix sockets and everything else are untouched.
 */
import net from 'node:net';

type Listen = (this: net.Server, ...args: unknown[]) => net.Server;
const listen = net.Server.prototype.listen as unknown as Listen;
const LOOPBACK = '127.0.0.1';

function loopbackListen(this: net.Server, ...args: unknown[]): net.Server {
  const [first, ...rest] = args;
  if (first === undefined || typeof first === 'function') return listen.call(this, 0, LOOPBACK, ...args);
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const tail = typeof rest[0] === 'string' ? rest.slice(1) : rest;
    return listen.call(this, Number(first), LOOPBACK, ...tail);
  }
  if (
    first !== null &&
    typeof first === 'object' &&
    (first as net.ListenOptions).path === undefined &&
    !('fd' in first) &&
    !('_handle' in first)
  ) {
    return listen.call(this, { ...(first as net.ListenOptions), host: LOOPBACK }, ...rest);
  }
  return listen.apply(this, args);
}

net.Server.prototype.listen = loopbackListen as unknown as typeof net.Server.prototype.listen;
