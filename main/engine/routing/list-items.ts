/**
 * The items of a server's list that clients can take. An MCP client checks a `tools/list` answer as
 * a whole (the SDK's does): one tool whose schema is malformed (`properties` a string, `required`
 * a map) makes it refuse the list, and a merged list would take every other server's tools with
 * it. So each item is checked as the SDK's client checks it, and one that fails is left out,
 * saying why.
 *
 * The schemas below are the SDK's (`@modelcontextprotocol/sdk/types.js`: Tool, Prompt, Resource,
 * ResourceTemplate), written with the zod the gateway already bundles: importing the SDK's module
 * loads its ~300 schemas, and in the build the SDK's zod beside the bundled one, into every gateway
 * (the bench's unrecorded path peaked 35 MB higher).
 * test/unit/engine/routing/list-items.test.ts holds them to the SDK's verdicts.
 */
import { z } from 'zod';
import type { Item, ListKind } from './catalog.ts';

/** The SDK's AssertObjectSchema: any object (arrays included), as its clients accept. */
const anyObject = z.custom<object>((v) => v !== null && (typeof v === 'object' || typeof v === 'function'));
const icon = z.object({
  src: z.string(),
  mimeType: z.string().optional(),
  sizes: z.array(z.string()).optional(),
  theme: z.enum(['light', 'dark']).optional(),
});
const base = { name: z.string(), title: z.string().optional(), icons: z.array(icon).optional() };
const meta = z.looseObject({}).optional();
const objectSchema = z
  .object({
    type: z.literal('object'),
    properties: z.record(z.string(), anyObject).optional(),
    required: z.array(z.string()).optional(),
  })
  .catchall(z.unknown());
const annotations = z
  .object({
    audience: z.array(z.enum(['user', 'assistant'])).optional(),
    priority: z.number().min(0).max(1).optional(),
    lastModified: z.iso.datetime({ offset: true }).optional(),
  })
  .optional();

const SCHEMAS: Record<ListKind, z.ZodType> = {
  tools: z.object({
    ...base,
    description: z.string().optional(),
    inputSchema: objectSchema,
    outputSchema: objectSchema.optional(),
    annotations: z
      .object({
        title: z.string().optional(),
        readOnlyHint: z.boolean().optional(),
        destructiveHint: z.boolean().optional(),
        idempotentHint: z.boolean().optional(),
        openWorldHint: z.boolean().optional(),
      })
      .optional(),
    execution: z.object({ taskSupport: z.enum(['required', 'optional', 'forbidden']).optional() }).optional(),
    _meta: z.record(z.string(), z.unknown()).optional(),
  }),
  prompts: z.object({
    ...base,
    description: z.string().optional(),
    arguments: z
      .array(z.object({ name: z.string(), description: z.string().optional(), required: z.boolean().optional() }))
      .optional(),
    _meta: meta,
  }),
  resources: z.object({
    ...base,
    uri: z.string(),
    description: z.string().optional(),
    mimeType: z.string().optional(),
    size: z.number().optional(),
    annotations,
    _meta: meta,
  }),
  resourceTemplates: z.object({
    ...base,
    uriTemplate: z.string(),
    description: z.string().optional(),
    mimeType: z.string().optional(),
    annotations,
    _meta: meta,
  }),
};

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
