/**
 * A handler's answer to call_tool / read_resource / get_prompt as MCP results (handler contract,
 * "Replies" and "Mapping to MCP"). The reply kinds are checked in the contract's order: elicit,
 * then error, then content. Content blocks: text, image, audio, resource_link and embedded
 * resource, snake_case fields mapped to MCP's camelCase.
 */
import { normalizeRequestedSchema } from '../../elicitation/validate.ts';
import { RpcCode, errorMessage } from '../../protocol/errors.ts';
import { mapIcons } from './catalog.ts';
import { HandlerError, protocolError } from './errors.ts';
import { emptyArrayAsObject, schemaFromPhp, valueFromPhp } from './php-empty.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

export interface HandlerElicit {
  mode: 'form' | 'url';
  message: string;
  /** Form mode: the JSON Schema of the answer. */
  schema?: Json;
  /** URL mode. */
  url?: string;
  /** Echoed back verbatim on the next round. */
  context?: unknown;
}

export interface HandlerFailure {
  code?: number | string;
  message: string;
}

export type ClassifiedReply =
  | { kind: 'elicit'; elicit: HandlerElicit }
  | { kind: 'error'; error: HandlerFailure }
  | { kind: 'content'; content: unknown[]; reply: Json };

/** Which of the three reply kinds this is; throws a protocol error for none or a malformed one. */
export function classifyReply(server: string, reply: Json, raw: Buffer): ClassifiedReply {
  if (reply.elicit !== undefined && reply.elicit !== null)
    return { kind: 'elicit', elicit: readElicit(server, reply.elicit, raw) };
  if (reply.error !== undefined && reply.error !== null) return { kind: 'error', error: readError(reply.error) };
  if (reply.content !== undefined && reply.content !== null) {
    if (!Array.isArray(reply.content)) {
      const given = reply.content;
      const is = isObject(given)
        ? 'one block, not a list: put it in one'
        : `${typeof given === 'string' ? 'a string' : JSON.stringify(given).slice(0, 40)}, not a list: ` +
          '[{"type": "text", "text": "…"}] is one text block';
      throw protocolError(server, `handler reply "content" must be an array of content blocks (it is ${is})`, {
        raw,
      });
    }
    return { kind: 'content', content: reply.content, reply };
  }
  throw protocolError(server, `handler reply has no elicit, error or content${whatItHas(reply)}`, { raw });
}

/** What a reply of none of the three kinds has instead, so a misnamed key is seen at once. */
function whatItHas(reply: Json): string {
  // A kind's key set to null is not there (PHP's null for nothing to say).
  const keys = Object.keys(reply).filter((k) => reply[k] !== null);
  if (keys.length === 0) return ' (it is {})';
  const named = keys
    .slice(0, 4)
    .map((k) => JSON.stringify(k.slice(0, 40)))
    .join(', ');
  const structured = 'structured_content' in reply || 'structuredContent' in reply;
  return (
    ` (it has ${named}${keys.length > 4 ? ', ...' : ''}` +
    `${structured ? '; structured_content comes with content, such as a text block of the same JSON' : ''})`
  );
}

function readElicit(server: string, value: unknown, raw: Buffer): HandlerElicit {
  if (!isObject(value) || !isString(value.message))
    throw protocolError(server, 'handler reply "elicit" needs a "message" string', { raw });
  const elicit: HandlerElicit = { mode: value.mode === 'url' ? 'url' : 'form', message: value.message };
  if (value.context !== undefined) elicit.context = value.context;
  if (elicit.mode === 'url') {
    // Only web links reach a client to open (security.md: URLs from servers are http(s) only).
    if (!isString(value.url) || !/^https?:\/\//i.test(value.url) || !URL.canParse(value.url)) {
      throw protocolError(server, 'handler reply "elicit" in URL mode needs an http:// or https:// "url"', { raw });
    }
    elicit.url = value.url;
    return elicit;
  }
  const schema = schemaFromPhp(value.schema);
  if (schema !== undefined && !isObject(schema))
    throw protocolError(server, 'handler reply "elicit.schema" must be a JSON Schema object', { raw });
  elicit.schema = isObject(schema) ? schema : { type: 'object', properties: {} };
  // A form clients cannot show (a nested object, an array without its values) is the handler's
  // mistake, said so here: a client would refuse it with pages of its validator's output.
  try {
    normalizeRequestedSchema(elicit.schema);
  } catch (err) {
    const why = errorMessage(err).replace(/^elicitation\/create: /, '');
    throw protocolError(server, `handler reply "elicit.schema" is not a form MCP clients can show: ${why}`, { raw });
  }
  return elicit;
}

function readError(value: unknown): HandlerFailure {
  if (isString(value)) return { message: value };
  if (!isObject(value)) return { message: JSON.stringify(value) };
  const failure: HandlerFailure = {
    message: isString(value.message) ? value.message : 'the handler reported an error without a message',
  };
  if (typeof value.code === 'number' || isString(value.code)) failure.code = value.code;
  return failure;
}

export function failureText(error: HandlerFailure): string {
  return error.code === undefined ? error.message : `Error ${error.code}: ${error.message}`;
}

function mimeOf(block: Json): string | undefined {
  const v = block.mime_type ?? block.mimeType;
  return isString(v) ? v : undefined;
}

/** One content block in MCP shape; throws a message naming the problem (the caller adds where). */
export function mapContentBlock(block: unknown): Json {
  if (!isObject(block)) throw new Error('is not an object');
  const type = block.type;
  const out: Json = { type };
  if (isObject(block.annotations)) out.annotations = block.annotations;
  if (isObject(block._meta)) out._meta = block._meta;
  switch (type) {
    case 'text':
      if (!isString(block.text)) throw new Error('(text) needs a "text" string');
      out.text = block.text;
      return out;
    case 'image':
    case 'audio': {
      const mime = mimeOf(block);
      if (!isString(block.data) || !mime) throw new Error(`(${type}) needs "data" (base64) and "mime_type"`);
      out.data = block.data;
      out.mimeType = mime;
      return out;
    }
    case 'resource_link': {
      if (!isString(block.uri)) throw new Error('(resource_link) needs a "uri"');
      out.uri = block.uri;
      out.name = isString(block.name) ? block.name : block.uri;
      for (const key of ['title', 'description'] as const) if (isString(block[key])) out[key] = block[key];
      const mime = mimeOf(block);
      if (mime) out.mimeType = mime;
      if (typeof block.size === 'number') out.size = block.size;
      const icons = mapIcons(block.icons);
      if (icons) out.icons = icons;
      return out;
    }
    case 'resource': {
      out.resource = embedded(isObject(block.resource) ? block.resource : block);
      return out;
    }
    default:
      throw new Error(
        `${type === undefined ? 'has no "type"' : `has unknown type ${JSON.stringify(type)}`} ` +
          '(expected text, image, audio, resource_link or resource)',
      );
  }
}

/** Embedded resource contents: uri, mimeType and exactly text or blob. */
function embedded(source: Json): Json {
  if (!isString(source.uri)) throw new Error('(resource) needs a "uri"');
  const out: Json = { uri: source.uri };
  const mime = mimeOf(source);
  if (mime) out.mimeType = mime;
  if (isString(source.text)) out.text = source.text;
  else if (isString(source.blob)) out.blob = source.blob;
  else throw new Error('(resource) needs "text" or "blob" (base64)');
  return out;
}

function mapBlocks(server: string, blocks: unknown[], raw: Buffer): Json[] {
  return blocks.map((block, index) => {
    try {
      return mapContentBlock(block);
    } catch (err) {
      throw protocolError(server, `handler reply content[${index}] ${(err as Error).message}`, { raw });
    }
  });
}

// ---- results ----

/** `outputSchema`: the tool's, as listed: PHP's `[]` inside the structured content is read by it. */
export function toolResult(
  server: string,
  reply: Extract<ClassifiedReply, { kind: 'content' }>,
  raw: Buffer,
  outputSchema?: unknown,
): Json {
  const result: Json = { content: mapBlocks(server, reply.content, raw) };
  const given = emptyArrayAsObject(reply.reply.structured_content ?? reply.reply.structuredContent);
  const structured = outputSchema === undefined ? given : valueFromPhp(given, outputSchema);
  if (structured !== undefined) {
    if (!isObject(structured))
      throw protocolError(server, 'handler reply "structured_content" must be an object', { raw });
    result.structuredContent = structured;
  }
  return result;
}

/** call_tool + error: a tool result the model can read, with the code kept in the text and in _meta. */
export function toolErrorResult(error: HandlerFailure): Json {
  const meta: Json = { message: error.message };
  if (error.code !== undefined) meta.code = error.code;
  return {
    content: [{ type: 'text', text: failureText(error) }],
    isError: true,
    _meta: { 'switchboard/handlerError': meta },
  };
}

/** read_resource + content: contents for the requested URI (text, or blobs for binary blocks). */
export function resourceResult(server: string, uri: string, blocks: unknown[], raw: Buffer, knownMime?: string): Json {
  const contents = mapBlocks(server, blocks, raw).map((block, index) => {
    switch (block.type) {
      case 'text':
        return { uri, ...(knownMime ? { mimeType: knownMime } : {}), text: block.text };
      case 'image':
      case 'audio':
        return { uri, mimeType: block.mimeType, blob: block.data };
      case 'resource':
        return block.resource as Json;
      default:
        throw protocolError(
          server,
          `handler reply content[${index}] is a ${String(block.type)}, which cannot be resource contents ` +
            `(use text, image, audio or resource)`,
          { raw },
        );
    }
  });
  return { contents };
}

/** read_resource + error: MCP's resource-not-found. */
export function resourceNotFound(server: string, uri: string, error: HandlerFailure, raw: Buffer): HandlerError {
  const message = `Resource not found: ${uri} (server "${server}": ${failureText(error)})`;
  return new HandlerError('not_found', message, {
    raw,
    rpc: {
      code: RpcCode.InvalidParams,
      message,
      data: { uri, ...(error.code !== undefined ? { code: error.code } : {}) },
    },
  });
}

/** get_prompt + content: one message per block, role assistant unless the block sets one. */
export function promptResult(server: string, blocks: unknown[], reply: Json, raw: Buffer): Json {
  const mapped = mapBlocks(server, blocks, raw);
  const messages = mapped.map((content, index) => {
    const source = blocks[index] as Json;
    const role = source.role === 'user' || source.role === 'assistant' ? source.role : 'assistant';
    return { role, content };
  });
  const result: Json = { messages };
  if (isString(reply.description)) result.description = reply.description;
  return result;
}

/** get_prompt + error: invalid params, with the handler's message. */
export function promptError(server: string, error: HandlerFailure, raw: Buffer): HandlerError {
  const message = `server "${server}": ${failureText(error)}`;
  return new HandlerError('invalid_request', message, {
    raw,
    rpc: { code: RpcCode.InvalidParams, message, ...(error.code !== undefined ? { data: { code: error.code } } : {}) },
  });
}

/** `elicit` answered to read_resource or get_prompt: only tool calls may ask. */
export function elicitNotAllowed(server: string, what: string, raw: Buffer): HandlerError {
  const why = `the handler asked for input (elicit) in reply to ${what}; only call_tool may elicit`;
  const message = `server "${server}": ${why}`;
  return new HandlerError('upstream_protocol', message, { raw, rpc: { code: RpcCode.InternalError, message } });
}
