/**
 * Serves newline-delimited JSON-RPC on stdin/stdout with `reply` (echo-core's Reply): one write per
 * input chunk holding everything that chunk produced; a Buffer response is written as is.
 */
import { lineSplitter } from '../lib/lines.ts';
import type { Reply } from './echo-core.ts';

export function serveStdio(reply: (line: string) => Reply): void {
  let text = '';
  const split = lineSplitter((line) => {
    if (line.trim() === '') return;
    const r = reply(line);
    for (const n of r.notifications) text += `${n}\n`;
    if (typeof r.response === 'string') text += `${r.response}\n`;
    else if (r.response !== undefined) {
      if (text) process.stdout.write(text);
      process.stdout.write(r.response);
      text = '\n';
    }
  });
  process.stdin.on('data', (chunk: Buffer) => {
    split(chunk);
    if (text) process.stdout.write(text);
    text = '';
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdout.on('error', () => process.exit(0));
}
