/**
 * The items of a server's list that clients can take. An MCP client checks a `tools/list` answer as
 * a whole (the SDK's does): one tool whose schema is malformed (`properties` a string, `required`
 * a map) makes it refuse the list, and a merged list would take every other server's tools with
 * it. So each item is checked against the SDK's own schema of its kind, and one that fails is left
 * out, saying why.
 */
import { PromptSchema, ResourceSchema, ResourceTemplateSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Item, ListKind } from './catalog.ts';

const SCHEMAS = {
  tools: ToolSchema,
  prompts: PromptSchema,
  resources: ResourceSchema,
  resourceTemplates: ResourceTemplateSchema,
} satisfies Record<ListKind, unknown>;

const NOUN: Record<ListKind, string> = {
  tools: 'tool',
  prompts: 'prompt',
  resources: 'resource',
  resourceTemplates: 'resource template',
};

/** What names an item within its list: two items with it are one too many. */
const KEY: Record<ListKind, 'name' | 'uri' | 'uriTemplate'> = {
  tools: 'name',
  prompts: 'name',
  resources: 'uri',
  resourceTemplates: 'uriTemplate',
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Slips clients would refuse though the meaning is plain, mended rather than dropped: `null` for an
 * optional text (title, description), a schema without its `"type": "object"`. A copy only when
 * something is mended.
 */
function mended(kind: ListKind, item: Item): Item {
  let copy: Item | undefined;
  for (const key of ['title', 'description', 'mimeType']) if (item[key] === null) delete (copy ??= { ...item })[key];
  if (kind === 'tools')
    for (const key of ['inputSchema', 'outputSchema']) {
      const schema = item[key];
      if (isObject(schema) && schema.type === undefined) (copy ??= { ...item })[key] = { type: 'object', ...schema };
    }
  return copy ?? item;
}

/** The items clients can take, and a line for each one left out. */
export function usableItems(kind: ListKind, items: readonly Item[]): { items: Item[]; leftOut: string[] } {
  const usable: Item[] = [];
  const leftOut: string[] = [];
  const seen = new Set<unknown>();
  for (const given of items) {
    const item = mended(kind, given);
    const checked = SCHEMAS[kind].safeParse(item);
    if (checked.success) {
      // A second tool of the same name could never be called: the first one keeps it.
      const key = item[KEY[kind]];
      if (seen.has(key)) leftOut.push(`${NOUN[kind]} ${JSON.stringify(String(key).slice(0, 100))} (listed twice)`);
      else usable.push(item);
      seen.add(key);
      continue;
    }
    const issue = checked.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    const id = item.name ?? item.uri ?? item.uriTemplate;
    const named = typeof id === 'string' ? ` ${JSON.stringify(id.slice(0, 100))}` : '';
    leftOut.push(`${NOUN[kind]}${named} (${where}${issue?.message ?? 'not valid'})`);
  }
  return { items: usable, leftOut };
}
