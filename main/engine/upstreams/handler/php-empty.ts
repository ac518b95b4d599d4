/**
 * PHP's json_encode writes an empty array as `[]`, also where an object was meant (a schema
 * without properties is `{"type":"object","properties":[]}` unless the handler wrote
 * `(object) []`). MCP clients refuse such a schema, and with it the whole tool list of every
 * server in the profile: these empty arrays are read as the empty objects they stand for.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmptyArray = (v: unknown): boolean => Array.isArray(v) && v.length === 0;

/** Keys of a JSON Schema whose value is a map of schemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
/** Keys whose value is one schema. */
const SCHEMA_VALUES = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];
/** Nesting followed at most (deeper schemas are left as they are). */
const MAX_DEPTH = 64;

/** An object the handler may have written as `[]` (structured content, a schema). */
export function emptyArrayAsObject(value: unknown): unknown {
  return isEmptyArray(value) ? {} : value;
}

/** A JSON Schema with PHP's `[]` read as `{}` wherever a schema or a map of schemas is meant. */
export function schemaFromPhp(schema: unknown, depth = 0): unknown {
  if (isEmptyArray(schema)) return {};
  if (!isObject(schema) || depth >= MAX_DEPTH) return schema;
  const out: Json = { ...schema };
  for (const key of SCHEMA_MAPS) {
    const map = out[key];
    if (isEmptyArray(map)) out[key] = {};
    else if (isObject(map))
      out[key] = Object.fromEntries(Object.entries(map).map(([name, s]) => [name, schemaFromPhp(s, depth + 1)]));
  }
  for (const key of SCHEMA_VALUES) if (key in out) out[key] = schemaFromPhp(out[key], depth + 1);
  return out;
}

const typeIs = (schema: Json, type: string): boolean =>
  schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));

/**
 * A value (structured content) with PHP's `[]` read as `{}` wherever its schema (the tool's output
 * schema) says an object is meant, at any depth: `"facets": []` for an empty map failed the call in
 * clients that check structured content against the schema.
 */
export function valueFromPhp(value: unknown, schema: unknown, depth = 0): unknown {
  if (!isObject(schema) || depth >= MAX_DEPTH) return value;
  if (isEmptyArray(value)) return typeIs(schema, 'object') && !typeIs(schema, 'array') ? {} : value;
  // Copied only where something changes: most results have nothing to mend.
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!isObject(items)) return value;
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = valueFromPhp(item, items, depth + 1);
      if (next !== item) (copy ??= [...value])[i] = next;
    });
    return copy ?? value;
  }
  if (!isObject(value)) return value;
  const properties = isObject(schema.properties) ? schema.properties : {};
  const additional = schema.additionalProperties;
  let copy: Json | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = valueFromPhp(item, Object.hasOwn(properties, key) ? properties[key] : additional, depth + 1);
    // Defined, not assigned: a key "__proto__" (JSON.parse makes it an own key) stays a key.
    if (next !== item)
      Object.defineProperty((copy ??= { ...value }), key, {
        value: next,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return copy ?? value;
}
