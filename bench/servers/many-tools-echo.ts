/**
 * An echo MCP server over stdio with a catalog of a chosen size, for the scale benchmark.
 * Usage: many-tools-echo.ts TOOLS
 *
 * Tools: `echo` and `progress` (echo-core.ts answers them), `bump`, and filler tools up to TOOLS
 * in all. The filler is shaped like real tools (a sentence of description, a two-property schema),
 * so list sizes are realistic. `bump` renames the last filler tool to `gen_<n>` (n counts bumps)
 * and sends notifications/tools/list_changed before its answer: a catalog change on demand.
 */
import { handle, type Reply } from './echo-core.ts';
import { serveStdio } from './stdio-serve.ts';

const count = Math.max(4, Number(process.argv[2] ?? 20)); // at least one filler for bump to rename
let generation = 0;

function filler(i: number): string {
  return JSON.stringify({
    name: `tool_${String(i).padStart(5, '0')}`,
    description: `Filler tool ${i}: looks up a record by id and returns it as text, with optional fields.`,
    inputSchema: {
      type: 'object',
      properties: {
        id: { type: 'string', description: 'Record id.' },
        fields: { type: 'array', items: { type: 'string' } },
      },
      required: ['id'],
    },
  });
}

const object = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});
const FIXED = [
  {
    name: 'echo',
    description: 'Returns its text argument.',
    inputSchema: object({ text: { type: 'string' } }, ['text']),
  },
  {
    name: 'progress',
    description: 'Sends `count` progress notifications, then returns.',
    inputSchema: object({ count: { type: 'integer' } }, ['count']),
  },
  { name: 'bump', description: "Changes this server's tool list and says so.", inputSchema: object({}) },
].map((t) => JSON.stringify(t));
const fillers = Array.from({ length: count - FIXED.length }, (_, i) => filler(i));

function toolList(): string {
  const tools = [...FIXED, ...fillers];
  // The last filler carries the generation.
  if (generation > 0) tools[tools.length - 1] = filler(0).replace('tool_00000', `gen_${generation}`);
  return `[${tools.join(',')}]`;
}

interface Message {
  id?: string | number | null;
  method?: string;
  params?: { name?: string };
}

function reply(line: string): Reply {
  // Only what echo-core does not know is looked at here; one extra parse of a small message.
  let msg: Message;
  try {
    msg = JSON.parse(line) as Message;
  } catch {
    return handle(line); // its parse error answer
  }
  if (msg.id === undefined || msg.id === null) return handle(line);
  const id = JSON.stringify(msg.id);
  if (msg.method === 'tools/list')
    return { notifications: [], response: `{"jsonrpc":"2.0","id":${id},"result":{"tools":${toolList()}}}` };
  if (msg.method === 'initialize') {
    // echo-core's answer, with listChanged declared: we do send it.
    const r = handle(line);
    return { ...r, response: String(r.response).replace('"tools":{}', '"tools":{"listChanged":true}') };
  }
  if (msg.method === 'tools/call' && msg.params?.name === 'bump') {
    generation++;
    return {
      notifications: ['{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}'],
      response: `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"gen_${generation}"}]}}`,
    };
  }
  return handle(line);
}

serveStdio(reply);
