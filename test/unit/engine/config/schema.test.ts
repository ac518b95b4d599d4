import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configSchema, configSchemaFileText } from '../../../../main/engine/config/schema.ts';

describe('JSON Schema for editors', () => {
  it('matches the committed resources/switchboard.schema.json (run `npm run schema` if this fails)', async () => {
    const committed = await readFile(new URL('../../../../resources/switchboard.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(configSchemaFileText());
  });

  it('describes the input side: keys with defaults are optional and show their default', () => {
    const schema = configJsonSchema() as {
      title: string;
      required?: string[];
      properties: Record<string, { default?: unknown; description?: string }>;
    };
    expect(schema.title).toBe('Switchboard configuration');
    expect(schema.required ?? []).not.toContain('mcpServers');
    expect(schema.properties.namespaceSeparator?.default).toBe('__');
    expect(schema.properties.mcpServers?.description).toMatch(/Claude Desktop/);
    expect(Object.keys(schema.properties)).toContain('$schema');
  });
});

describe('the JSON Schema and the loader agree', () => {
  const check = new Ajv({ strict: false }).compile(configJsonSchema());
  const entries: Record<string, Record<string, unknown>> = {
    stdio: { command: 'x' },
    remote: { url: 'https://x.example/mcp' },
    handler: { handler: 'https://x.example/h' },
  };
  const values: unknown[] = [
    ...['', 'x', '/abs', 'C:\\abs', 'rel/dir', '${env:X}', 'https://a.example', 'https://a.example/p'],
    ...['http://localhost:5173', 'http://localhost:5173/', 'ftp://a', 'ws://a', '*', 'X-Tenant', 'Bad Header'],
    ...['short-token', '0123456789abcdef', '0123456789abcde f', 'stdio', 'http', 'auto'],
    ...[0, -1, 1, 1.5, 65536, true, null, [], ['a'], [''], ['*'], ['x y'], {}, { a: 'b' }, { '': 'b' }],
  ];
  const paths = [
    ...['$schema', 'namespaceSeparator', 'listen.http', 'listen.http.port', 'listen.http.token'],
    ...['listen.http.allowedOrigins', 'timeouts.requestMs', 'traffic.history.days', 'profiles.p.servers'],
    ...['type', 'command', 'args', 'env', 'cwd', 'isolated', 'protocol', 'tools.allow', 'tools.aliases', 'url'],
    ...['headers', 'transport', 'forwardHeaders', 'overridableHeaders', 'oauth.clientMetadataUrl', 'kind'],
    ...['entrypoint', 'pool', 'bogus'],
  ];
  const set = (target: Record<string, unknown>, path: string[], value: unknown) => {
    let node = target;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path.at(-1)!] = value;
  };

  it("on every key and on each value of one field (rules across fields are the loader's alone)", () => {
    const disagree: string[] = [];
    for (const [kind, entry] of Object.entries(entries))
      for (const path of paths)
        for (const value of values) {
          const config: Record<string, unknown> = { mcpServers: { a: structuredClone(entry) } };
          const top = ['$schema', 'namespaceSeparator', 'listen', 'timeouts', 'traffic', 'profiles'];
          const at = top.includes(path.split('.')[0]!) ? path.split('.') : ['mcpServers', 'a', ...path.split('.')];
          set(config, at, value);
          const loader = configSchema.safeParse(config).success;
          if (loader !== check(config)) disagree.push(`${kind} ${at.join('.')} = ${JSON.stringify(value)}: ${loader}`);
        }
    expect(disagree).toEqual([]);
  });
});
