/**
 * The floor of a stdio hop: a process that only moves bytes. stdin → the child's stdin, the
 * child's stdout → stdout; no parsing. Usage: byte-pipe.ts COMMAND [ARGS...]
 */
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) throw new Error('usage: byte-pipe.ts COMMAND [ARGS...]');
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.on('exit', (code) => process.exit(code ?? 0));
process.stdin.on('end', () => child.stdin.end());
