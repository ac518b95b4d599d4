/** The echo MCP server over stdio (newline-delimited JSON-RPC). See echo-core.ts. */
import { lineSplitter } from '../lib/lines.ts';
import { handle } from './echo-core.ts';

let text = '';
const split = lineSplitter((line) => {
  if (line.trim() === '') return;
  const reply = handle(line);
  for (const n of reply.notifications) text += `${n}\n`;
  if (typeof reply.response === 'string') text += `${reply.response}\n`;
  else if (reply.response !== undefined) {
    if (text) process.stdout.write(text);
    process.stdout.write(reply.response);
    text = '\n';
  }
});

process.stdin.on('data', (chunk: Buffer) => {
  split(chunk);
  // One write per input chunk: everything that chunk produced.
  if (text) process.stdout.write(text);
  text = '';
});
process.stdin.on('end', () => process.exit(0));
process.stdout.on('error', () => process.exit(0));
