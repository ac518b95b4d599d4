import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configSchemaFileText } from '../../../../main/engine/config/schema.ts';

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
