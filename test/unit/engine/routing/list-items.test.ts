/**
 * The gateway's check of list items against the SDK's own schemas: for every sample, an item is
 * kept exactly when the SDK's client would take it (the gateway writes the schemas itself, with
 * its bundled zod, to keep the SDK's module out of every gateway). Also what it mends.
 */
import { PromptSchema, ResourceSchema, ResourceTemplateSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import type { Item, ListKind } from '../../../../main/engine/routing/catalog.ts';
import { usableItems } from '../../../../main/engine/routing/list-items.ts';

const SDK = {
  tools: ToolSchema,
  prompts: PromptSchema,
  resources: ResourceSchema,
  resourceTemplates: ResourceTemplateSchema,
};
const obj = { type: 'object' };

/** What servers send: anything, whatever Item says a well-formed one holds. */
const SAMPLES: Record<ListKind, Record<string, unknown>[]> = {
  tools: [
    { name: 'plain', inputSchema: obj },
    {
      name: 'full',
      title: 'Full',
      description: 'd',
      inputSchema: { ...obj, properties: { a: { type: 'string' } }, required: ['a'] },
      outputSchema: obj,
      annotations: { readOnlyHint: true, title: 't' },
      execution: { taskSupport: 'optional' },
      icons: [{ src: 'https://x/i.png', sizes: ['48x48'], theme: 'dark' }],
      _meta: { k: 1 },
      extra: 'kept',
    },
    { name: 'list-props', inputSchema: { ...obj, properties: [{ type: 'string' }] } },
    { name: 'props-string', inputSchema: { ...obj, properties: 'city' } },
    { name: 'prop-word', inputSchema: { ...obj, properties: { city: 'string' } } },
    { name: 'required-map', inputSchema: { ...obj, required: { a: true } } },
    { name: 'required-numbers', inputSchema: { ...obj, required: [1] } },
    { name: 'array-schema', inputSchema: { type: 'array' } },
    { name: 'no-schema' },
    { name: 'bad-output', inputSchema: obj, outputSchema: { type: 'string' } },
    { name: 'hint-word', inputSchema: obj, annotations: { readOnlyHint: 'yes' } },
    { name: 'sizes-string', inputSchema: obj, icons: [{ src: 'x', sizes: '48x48' }] },
    { name: 'task-word', inputSchema: obj, execution: { taskSupport: 'always' } },
    { name: 42, inputSchema: obj },
    { inputSchema: obj },
    { name: 'meta-list', inputSchema: obj, _meta: [] },
  ],
  prompts: [
    { name: 'p' },
    { name: 'args', arguments: [{ name: 'a', description: 'd', required: true }] },
    { name: 'arg-required-word', arguments: [{ name: 'a', required: 'true' }] },
    { name: 'arg-unnamed', arguments: [{ description: 'd' }] },
    { title: 'no name' },
  ],
  resources: [
    { name: 'r', uri: 'file:///x' },
    {
      name: 'odd',
      uri: 'not a uri at all',
      size: 12,
      mimeType: 'text/plain',
      annotations: { priority: 0.5, audience: ['user'] },
    },
    { name: 'size-word', uri: 'x://y', size: '12' },
    { name: 'priority', uri: 'x://y', annotations: { priority: 2 } },
    { name: 'modified', uri: 'x://y', annotations: { lastModified: 'yesterday' } },
    { uri: 'x://nameless' },
  ],
  resourceTemplates: [
    { name: 't', uriTemplate: 'x://{id}' },
    { name: 'no-template' },
    { name: 'template-number', uriTemplate: 7 },
  ],
};

describe('list items', () => {
  for (const kind of Object.keys(SAMPLES) as ListKind[])
    it(`keeps exactly the ${kind} the SDK's client takes`, () => {
      for (const item of SAMPLES[kind]) {
        const kept = usableItems(kind, [item as Item]).items.length === 1;
        expect(kept, JSON.stringify(item)).toBe(SDK[kind].safeParse(item).success);
      }
    });

  it('says which and why for each one left out, and the second of a name', () => {
    const { items, leftOut } = usableItems('tools', [
      { name: 'a', inputSchema: obj },
      { name: 'b', inputSchema: { ...obj, properties: 'city' } },
      { name: 'a', inputSchema: obj },
    ]);
    expect(items.map((i) => i.name)).toEqual(['a']);
    expect(leftOut).toEqual([
      expect.stringMatching(/^tool "b" \(inputSchema\.properties: /),
      'tool "a" (listed twice)',
    ]);
  });

  it('mends a null title or description and a schema without its type, keeping the item', () => {
    const { items } = usableItems('tools', [
      { name: 'loose', title: null, description: null, inputSchema: { properties: { q: { type: 'string' } } } },
    ]);
    expect(items).toEqual([{ name: 'loose', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } }]);
    expect(SDK.tools.safeParse(items[0]).success).toBe(true);
  });
});
