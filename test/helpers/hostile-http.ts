/** The hostile remote MCP server (test/fixtures/servers/hostile-http-server.ts), started as its own process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { NODE, ROOT } from './gateway.ts';

const SERVER = path.join(ROOT, 'test/fixtures/servers/hostile-http-server.ts');

export async function startHostileHttpServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(NODE, [SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', () => reject(new Error('the hostile HTTP server exited')));
  });
  return { child, port: Number(/^PORT (\d+)$/.exec(line)![1]) };
}
