/**
 * Writes resources/switchboard.schema.json from the zod schema, so editors can complete and
 * check the config file. A unit test fails when the committed file is stale: run `npm run schema`.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { configSchemaFileText } from '../main/engine/config/schema.ts';

const target = fileURLToPath(new URL('../resources/switchboard.schema.json', import.meta.url));
await writeFile(target, configSchemaFileText());
console.log(`wrote ${target}`);
