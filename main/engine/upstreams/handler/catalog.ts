/**
 * A handler's `discover` reply as MCP lists: snake_case keys become MCP's camelCase
 * (input_schema → inputSchema, mime_type → mimeType, read_only_hint → readOnlyHint,
 * resource_templates → resourceTemplates, uri_template → uriTemplate). Every list is optional;
 * unknown keys are ignored; an entry without its identifying key is skipped with a note.
 */

import { schemaFromPhp } from './php-empty.ts';

export type Item = Record<string, unknown>;

export interface HandlerCatalog {
  tools: Item[];
  resources: Item[];
  resourceTemplates: Item[];
  prompts: Item[];
  /** What of each list discover gave could not be used, one line each, for where left-out items are shown. */
  skipped?: Partial<Record<ListName, string[]>>;
}

export type ListName = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

/** A note of something skipped: the log line, and the line for its list (`switchboard list`, the Servers screen). */
export type DiscoverNote = (message: string, skipped?: { list: ListName; line: string }) => void;

/** Why a list is not one, in words that point at the usual cause (PHP's array with string keys). */
function notAList(key: string, value: unknown): string {
  if (!isObject(value)) return `"${key}" is ${JSON.stringify(value).slice(0, 40)}, not a list`;
  const keys = Object.keys(value);
  const shown = keys
    .slice(0, 3)
    .map((k) => JSON.stringify(k.slice(0, 40)))
    .join(', ');
  return (
    `"${key}" is an object (keys ${shown}${keys.length > 3 ? ', ...' : ''}), not a list: PHP's json_encode ` +
    'writes an array with string keys as one; array_values() makes it a list'
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** The value of the snake_case key, else of the camelCase one (handlers written for MCP use those). */
function pick(source: Record<string, unknown>, snake: string, camel: string): unknown {
  return source[snake] !== undefined ? source[snake] : source[camel];
}

/** Copies the listed string fields that are present. */
function strings(source: Record<string, unknown>, keys: readonly string[], into: Item): Item {
  for (const key of keys) if (isString(source[key])) into[key] = source[key];
  return into;
}

const ANNOTATION_KEYS: readonly (readonly [string, string])[] = [
  ['read_only_hint', 'readOnlyHint'],
  ['destructive_hint', 'destructiveHint'],
  ['idempotent_hint', 'idempotentHint'],
  ['open_world_hint', 'openWorldHint'],
];

export function mapToolAnnotations(value: unknown): Item | undefined {
  if (!isObject(value)) return undefined;
  const out: Item = strings(value, ['title'], {});
  for (const [snake, camel] of ANNOTATION_KEYS) {
    const v = pick(value, snake, camel);
    if (typeof v === 'boolean') out[camel] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

export function mapIcons(value: unknown): Item[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const icons: Item[] = [];
  for (const icon of value) {
    if (!isObject(icon) || !isString(icon.src)) continue;
    const out: Item = { src: icon.src };
    const mimeType = pick(icon, 'mime_type', 'mimeType');
    if (isString(mimeType)) out.mimeType = mimeType;
    if (Array.isArray(icon.sizes) && icon.sizes.every(isString)) out.sizes = icon.sizes;
    else if (isString(icon.sizes)) out.sizes = icon.sizes.split(/\s+/).filter(Boolean);
    if (icon.theme === 'light' || icon.theme === 'dark') out.theme = icon.theme;
    icons.push(out);
  }
  return icons.length ? icons : undefined;
}

function withIcons(source: Record<string, unknown>, into: Item): Item {
  const icons = mapIcons(source.icons);
  if (icons) into.icons = icons;
  return into;
}

function mimeType(source: Record<string, unknown>, into: Item): Item {
  const v = pick(source, 'mime_type', 'mimeType');
  if (isString(v)) into.mimeType = v;
  return into;
}

/** `note` hears of an output schema left out of the tool. */
export function mapTool(
  tool: Record<string, unknown>,
  note: (message: string) => void = () => undefined,
): Item | undefined {
  if (!isString(tool.name) || tool.name === '') return undefined;
  const out = strings(tool, ['name', 'title', 'description'], {});
  // MCP requires object schemas (a client refuses the whole list over one that is not): a handler
  // that takes no arguments may leave the input schema out. One that describes something else is
  // passed on as given: the gateway's catalog leaves the tool out, naming it and why, where every
  // tool clients would refuse is shown (the log, `switchboard list`). An output schema that is not
  // one is left out of the tool, with a note.
  const given = pick(tool, 'input_schema', 'inputSchema');
  out.inputSchema = objectSchema(given) ?? schemaFromPhp(given);
  const declared = pick(tool, 'output_schema', 'outputSchema');
  const output = declared === undefined ? undefined : objectSchema(declared);
  if (output) out.outputSchema = output;
  else if (declared !== undefined && declared !== null) {
    const name = JSON.stringify(tool.name.slice(0, 100));
    note(`tool ${name}: output_schema is not an object schema; left out of the tool`);
  }
  const annotations = mapToolAnnotations(tool.annotations);
  if (annotations) out.annotations = annotations;
  return withIcons(tool, out);
}

/** An object schema as MCP wants it (PHP's empty arrays read as objects), or undefined when it is none. */
function objectSchema(value: unknown): Item | undefined {
  const schema = schemaFromPhp(value);
  if (schema === undefined || (isObject(schema) && Object.keys(schema).length === 0))
    return { type: 'object', properties: {} };
  if (!isObject(schema) || (schema.type !== undefined && schema.type !== 'object')) return undefined;
  return schema.type === undefined ? { type: 'object', ...schema } : schema;
}

export function mapResource(resource: Record<string, unknown>): Item | undefined {
  if (!isString(resource.uri) || resource.uri === '') return undefined;
  const out = strings(resource, ['uri', 'name', 'title', 'description'], {});
  // MCP requires a name; the URI is the best stand-in.
  if (!isString(out.name)) out.name = resource.uri;
  mimeType(resource, out);
  if (typeof resource.size === 'number') out.size = resource.size;
  return withIcons(resource, out);
}

export function mapResourceTemplate(template: Record<string, unknown>): Item | undefined {
  const uriTemplate = pick(template, 'uri_template', 'uriTemplate');
  if (!isString(uriTemplate) || uriTemplate === '') return undefined;
  const out: Item = { uriTemplate };
  strings(template, ['name', 'title', 'description'], out);
  if (!isString(out.name)) out.name = uriTemplate;
  mimeType(template, out);
  return withIcons(template, out);
}

export function mapPrompt(prompt: Record<string, unknown>): Item | undefined {
  if (!isString(prompt.name) || prompt.name === '') return undefined;
  const out = strings(prompt, ['name', 'title', 'description'], {});
  if (Array.isArray(prompt.arguments)) {
    out.arguments = prompt.arguments
      .filter((a): a is Record<string, unknown> => isObject(a) && isString(a.name))
      .map((a) => {
        const arg = strings(a, ['name', 'title', 'description'], {});
        if (typeof a.required === 'boolean') arg.required = a.required;
        return arg;
      });
  }
  return withIcons(prompt, out);
}

/** Maps the discover reply; `note` hears about entries and lists that had to be skipped. */
export function mapDiscover(reply: Record<string, unknown>, note: DiscoverNote = () => undefined): HandlerCatalog {
  /** `lacks`: what an entry that could not be used is missing, for the note. */
  const list = (
    name: ListName,
    key: string,
    map: (item: Record<string, unknown>) => Item | undefined,
    lacks: string,
  ): Item[] => {
    const value = reply[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      const why = notAList(key, value);
      note(`discover: ${why}; ignored`, { list: name, line: why });
      return [];
    }
    const out: Item[] = [];
    value.forEach((item, index) => {
      const mapped = isObject(item) ? map(item) : undefined;
      if (mapped) out.push(mapped);
      else {
        const given = isObject(item) ? item[lacks.slice(1, -1)] : undefined;
        const what = !isObject(item)
          ? `${JSON.stringify(item).slice(0, 40)}, not an object`
          : given === undefined || given === ''
            ? `it has no ${lacks}`
            : `its ${lacks} is ${JSON.stringify(given).slice(0, 40)}, not a string`;
        note(`discover: ${key}[${index}] has no ${lacks}; skipped`, { list: name, line: `${key}[${index}] (${what})` });
      }
    });
    return out;
  };
  return {
    // A tool is skipped for want of a name; one with a schema clients refuse, by the gateway's catalog.
    tools: list('tools', 'tools', (tool) => mapTool(tool, note), '"name"'),
    resources: list('resources', 'resources', mapResource, '"uri"'),
    resourceTemplates: list(
      'resourceTemplates',
      reply.resource_templates !== undefined ? 'resource_templates' : 'resourceTemplates',
      mapResourceTemplate,
      '"uri_template"',
    ),
    prompts: list('prompts', 'prompts', mapPrompt, '"name"'),
  };
}
