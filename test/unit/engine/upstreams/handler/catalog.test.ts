import { describe, expect, it } from 'vitest';
import { mapDiscover } from '../../../../../main/engine/upstreams/handler/catalog.ts';

describe('discover → MCP lists', () => {
  it('maps snake_case to MCP, keeps what MCP knows and drops the rest', () => {
    const notes: string[] = [];
    const catalog = mapDiscover(
      {
        tools: [
          {
            name: 'book_flight',
            title: 'Book',
            description: 'Books',
            unknown_key: 1,
            input_schema: { type: 'object', properties: { to: { type: 'string' } } },
            output_schema: { type: 'object', properties: { seat: { type: 'string' } } },
            annotations: {
              title: 'Booking',
              read_only_hint: false,
              destructive_hint: true,
              idempotent_hint: false,
              open_world_hint: true,
              other: 1,
            },
            icons: [
              { src: 'https://x/i.png', mime_type: 'image/png', sizes: '48x48 96x96', theme: 'dark' },
              { nope: true },
            ],
          },
        ],
        resources: [
          {
            uri: 'app://u/1',
            name: 'u1',
            title: 'User',
            description: 'd',
            mime_type: 'application/json',
            size: 10,
            icons: [{ src: 'data:,x' }],
          },
        ],
        resource_templates: [{ uri_template: 'app://u/{id}', name: 'user', mime_type: 'application/json' }],
        prompts: [
          {
            name: 'greet',
            title: 'Greet',
            arguments: [{ name: 'who', title: 'Who', description: 'w', required: true }, { nameless: 1 }],
          },
        ],
        version: 3,
      },
      (n) => notes.push(n),
    );
    expect(catalog).toEqual({
      tools: [
        {
          name: 'book_flight',
          title: 'Book',
          description: 'Books',
          inputSchema: { type: 'object', properties: { to: { type: 'string' } } },
          outputSchema: { type: 'object', properties: { seat: { type: 'string' } } },
          annotations: {
            title: 'Booking',
            readOnlyHint: false,
            destructiveHint: true,
            idempotentHint: false,
            openWorldHint: true,
          },
          icons: [{ src: 'https://x/i.png', mimeType: 'image/png', sizes: ['48x48', '96x96'], theme: 'dark' }],
        },
      ],
      resources: [
        {
          uri: 'app://u/1',
          name: 'u1',
          title: 'User',
          description: 'd',
          mimeType: 'application/json',
          size: 10,
          icons: [{ src: 'data:,x' }],
        },
      ],
      resourceTemplates: [{ uriTemplate: 'app://u/{id}', name: 'user', mimeType: 'application/json' }],
      prompts: [
        { name: 'greet', title: 'Greet', arguments: [{ name: 'who', title: 'Who', description: 'w', required: true }] },
      ],
    });
    expect(notes).toEqual([]);
  });

  it('every list is optional; MCP-required fields get sensible stand-ins', () => {
    expect(mapDiscover({})).toEqual({ tools: [], resources: [], resourceTemplates: [], prompts: [] });
    const c = mapDiscover({
      tools: [{ name: 'ping' }],
      resources: [{ uri: 'app://x' }],
      resource_templates: [{ uri_template: 'app://{x}' }],
    });
    expect(c.tools).toEqual([{ name: 'ping', inputSchema: { type: 'object', properties: {} } }]);
    expect(c.resources).toEqual([{ uri: 'app://x', name: 'app://x' }]);
    expect(c.resourceTemplates).toEqual([{ uriTemplate: 'app://{x}', name: 'app://{x}' }]);
  });

  it('accepts the camelCase a handler written for MCP might use', () => {
    const c = mapDiscover({
      tools: [{ name: 't', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } }],
      resourceTemplates: [{ uriTemplate: 'a://{b}', name: 'b', mimeType: 'text/plain' }],
    });
    expect(c.tools[0]).toEqual({ name: 't', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } });
    expect(c.resourceTemplates).toEqual([{ uriTemplate: 'a://{b}', name: 'b', mimeType: 'text/plain' }]);
  });

  it("reads PHP's empty arrays as the empty objects they stand for; an input schema of no object goes on", () => {
    const notes: string[] = [];
    const c = mapDiscover(
      {
        tools: [
          { name: 'a', input_schema: { type: 'object', properties: [] } },
          { name: 'b', input_schema: [], output_schema: { properties: { x: { type: 'object', properties: [] } } } },
          { name: 'c', input_schema: { type: 'array' } },
          { name: 'd', output_schema: { type: 'array' } },
        ],
      },
      (n) => notes.push(n),
    );
    expect(c.tools).toEqual([
      { name: 'a', inputSchema: { type: 'object', properties: {} } },
      {
        name: 'b',
        inputSchema: { type: 'object', properties: {} },
        outputSchema: { type: 'object', properties: { x: { type: 'object', properties: {} } } },
      },
      // The gateway's catalog leaves it out, naming it and why (test/unit/engine/routing/list-items.test.ts).
      { name: 'c', inputSchema: { type: 'array' } },
      { name: 'd', inputSchema: { type: 'object', properties: {} } },
    ]);
    expect(notes).toEqual(['tool "d": output_schema is not an object schema; left out of the tool']);
  });

  it('skips entries it cannot use, with a note saying which, and a line for its list', () => {
    const notes: string[] = [];
    const skipped: string[] = [];
    const c = mapDiscover(
      {
        tools: [{ description: 'no name' }, 'x', { name: 'ok' }, { name: 42 }],
        resources: 'not a list',
        prompts: { greet: { name: 'greet' }, bye: {}, a: {}, b: {} },
      },
      (n, left) => {
        notes.push(n);
        if (left) skipped.push(`${left.list}: ${left.line}`);
      },
    );
    expect(c.tools.map((t) => t.name)).toEqual(['ok']);
    expect(notes).toEqual([
      'discover: tools[0] has no "name"; skipped',
      'discover: tools[1] has no "name"; skipped',
      'discover: tools[3] has no "name"; skipped',
      'discover: "resources" is "not a list", not a list; ignored',
      'discover: "prompts" is an object (keys "greet", "bye", "a", ...), not a list: PHP\'s json_encode writes an ' +
        'array with string keys as one; array_values() makes it a list; ignored',
    ]);
    expect(skipped).toEqual([
      'tools: tools[0] (it has no "name")',
      'tools: tools[1] ("x", not an object)',
      'tools: tools[3] (its "name" is 42, not a string)',
      'resources: "resources" is "not a list", not a list',
      'prompts: "prompts" is an object (keys "greet", "bye", "a", ...), not a list: PHP\'s json_encode writes an ' +
        'array with string keys as one; array_values() makes it a list',
    ]);
  });
});
