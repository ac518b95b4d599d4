/**
 * A free port for a test server that is stopped and started again at the same address. It lies
 * below the ephemeral range: a port 0 one may, while its server is down, become the local port of
 * some outgoing connection (the restart then fails with EADDRINUSE) or of a retry to itself (a
 * TCP self-connect, which "succeeds" with nobody listening).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

const FALLBACK_EPHEMERAL_START = 32768;
const LOWEST = 10_000;

async function ephemeralStart(): Promise<number> {
  try {
    const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    return low && low > LOWEST + 1000 ? low : FALLBACK_EPHEMERAL_START;
  } catch {
    return FALLBACK_EPHEMERAL_START;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function restartablePort(): Promise<number> {
  const top = await ephemeralStart();
  for (let tries = 0; tries < 100; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${top}`);
}
