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

/** The items clients can take, and a line for each one left out. */
export function usableItems(kind: ListKind, items: readonly Item[]): { items: Item[]; leftOut: string[] } {
  const usable: Item[] = [];
  const leftOut: string[] = [];
  for (const item of items) {
    const checked = SCHEMAS[kind].safeParse(item);
    if (checked.success) {
      usable.push(item);
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
