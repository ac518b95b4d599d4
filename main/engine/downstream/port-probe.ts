/**
 * Whether a port can be listened on now: bound and let go at once. Asked before a new port is
 * written to the config, so a port another program holds is refused at its field instead of
 * leaving the gateway without a listener.
 */
import { createServer } from 'node:net';

/** Why `host:port` cannot be listened on (EADDRINUSE, EACCES, …), or undefined when it can. */
export function listenProblem(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
