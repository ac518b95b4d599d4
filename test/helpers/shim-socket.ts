/** A connection to the gateway's shim socket, past the mutual hello (the shim's own handshake code). */
import type net from 'node:net';
import { attemptConnect } from '../../main/shim/connect.ts';
import { runtimePaths } from '../../main/shared/paths.ts';

/** Connects as a shim would; the socket comes back paused, with any bytes read past the welcome. */
export async function connectShimSocket(
  runtimeDir: string,
  client = 'test',
): Promise<{ socket: net.Socket; head: Buffer }> {
  const paths = runtimePaths({ SWITCHBOARD_RUNTIME_DIR: runtimeDir });
  const result = await attemptConnect({
    privateDirs: [paths.dir],
    socketPath: paths.socket,
    tokenPath: paths.token,
    profile: 'default',
    client,
    timeoutMs: 10_000,
  });
  if (!result.ok) throw new Error(`cannot connect to the shim socket: ${result.kind}: ${result.message}`);
  return { socket: result.socket, head: result.head };
}
