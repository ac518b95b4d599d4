/**
 * Fields whose values never reach the traffic record: well-known credential names, the names a
 * config adds (`traffic.redactFields`), and the fields servers mark sensitive in what they send —
 * a tool's input property or an elicitation form field with `writeOnly: true` or
 * `format: "password"` (JSON Schema's ways of saying "a secret goes here"). A name marked once is
 * hidden in every payload from then on: hiding too much is safe, hiding too little is not.
 */

/** Compared lower-case, as the exact key of a JSON member. */
export const SENSITIVE_FIELDS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'client_secret',
  'clientsecret',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'access_token',
  'accesstoken',
  'refresh_token',
  'refreshtoken',
  'id_token',
  'token',
  'private_key',
  'privatekey',
];

const MAX_MARKED = 1000;

export class SensitiveFields {
  private readonly names = new Set<string>();
  /** The names servers marked (a subset of `names`). */
  private readonly learned = new Set<string>();
  private pattern: RegExp | undefined;
  /** Names not hidden because the limit was reached. */
  private over = 0;

  constructor(extra: readonly string[] = []) {
    this.add([...SENSITIVE_FIELDS, ...extra]);
  }

  /**
   * The well-known names, `extra` (the config's, replacing this one's) and every name servers
   * marked here: a config reload must not forget what was learnt from tool lists that are not
   * sent again.
   */
  withNames(extra: readonly string[]): SensitiveFields {
    const next = new SensitiveFields(extra);
    next.learn([...this.learned]);
    return next;
  }

  /** Names that were not added because MAX_MARKED were hidden already. */
  get refused(): number {
    return this.over;
  }

  /** How many names are hidden now. */
  get size(): number {
    return this.names.size;
  }

  has(name: string): boolean {
    return this.names.has(name.toLowerCase());
  }

  /**
   * Replaces the value of every member with a sensitive name in a JSON text by `"[redacted]"`:
   * strings, numbers, booleans and whole objects or arrays alike.
   */
  redact(json: string): string {
    const pattern = this.pattern;
    if (!pattern) return json;
    pattern.lastIndex = 0;
    let out = '';
    let from = 0;
    for (let m = pattern.exec(json); m; m = pattern.exec(json)) {
      const valueStart = m.index + m[0].length;
      const valueEnd = endOfValue(json, valueStart);
      // A tool's input schema declaring a `password` field holds its description, not a secret:
      // shown, so the inspector can show what the tool asks for.
      if (json[valueStart] === '{' && isSchemaOnly(json.slice(valueStart, valueEnd))) continue;
      out += `${json.slice(from, valueStart)}"[redacted]"`;
      from = valueEnd;
      pattern.lastIndex = valueEnd;
    }
    return from === 0 ? json : out + json.slice(from);
  }

  /** Learns the fields a server marks sensitive in a payload it sent (tool lists, elicitation forms). */
  learnFrom(method: string, value: unknown): void {
    if (method === 'tools/list') {
      const tools = (value as { tools?: unknown } | undefined)?.tools;
      if (Array.isArray(tools))
        for (const tool of tools) this.learnSchema((tool as { inputSchema?: unknown })?.inputSchema);
    } else if (method === 'elicitation/create') {
      this.learnSchema((value as { requestedSchema?: unknown } | undefined)?.requestedSchema);
    }
  }

  private learnSchema(schema: unknown, depth = 0): void {
    if (typeof schema !== 'object' || schema === null || depth > 8) return;
    const s = schema as Record<string, unknown>;
    const marked: string[] = [];
    if (typeof s.properties === 'object' && s.properties !== null) {
      for (const [name, property] of Object.entries(s.properties)) {
        if (typeof property !== 'object' || property === null) continue;
        const p = property as { writeOnly?: unknown; format?: unknown };
        if (p.writeOnly === true || p.format === 'password') marked.push(name);
        this.learnSchema(property, depth + 1);
      }
    }
    // Fields are also declared in the items of a list, in each alternative of a field and in the
    // definitions a schema refers to (pydantic puts every nested model, SecretStr fields and all,
    // under $defs): looking at `properties` alone would miss those and show their secrets.
    for (const key of ['items', 'prefixItems', 'additionalProperties', 'anyOf', 'oneOf', 'allOf']) {
      const sub = s[key];
      if (Array.isArray(sub)) for (const item of sub) this.learnSchema(item, depth + 1);
      else this.learnSchema(sub, depth + 1);
    }
    for (const key of ['$defs', 'definitions']) {
      const defs = s[key];
      if (typeof defs === 'object' && defs !== null)
        for (const def of Object.values(defs)) this.learnSchema(def, depth + 1);
    }
    if (marked.length) this.learn(marked);
  }

  /** Adds names a server marked, remembered apart from the configured ones (see withNames). */
  private learn(names: readonly string[]): void {
    this.add(names);
    for (const name of names) if (this.names.has(name.toLowerCase())) this.learned.add(name.toLowerCase());
  }

  private add(names: readonly string[]): void {
    let added = false;
    for (const name of names) {
      const key = name.toLowerCase();
      if (this.names.has(key) || key === '') continue;
      if (this.names.size >= MAX_MARKED) {
        this.over++;
        continue;
      }
      this.names.add(key);
      added = true;
    }
    if (!added) return;
    // A member's key as JSON.stringify writes it (any case), then the colon; the value follows.
    const alternatives = [...this.names].map((n) => JSON.stringify(n).slice(1, -1)).map(escapeRegExp);
    this.pattern = new RegExp(`"(?:${alternatives.join('|')})":`, 'gi');
  }
}

/** Where the JSON value starting at `start` ends (JSON.stringify output: no whitespace). */
/** JSON Schema keywords that describe a field without holding a value of it (unlike default, const, enum, examples). */
const DESCRIBING_KEYWORDS = new Set([
  'type',
  'title',
  'description',
  'format',
  'writeOnly',
  'readOnly',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'deprecated',
  'contentEncoding',
  'contentMediaType',
  '$comment',
]);

/** An object that only describes a field (a property's schema), with no value a secret could be in. */
function isSchemaOnly(objectJson: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(objectJson);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => DESCRIBING_KEYWORDS.has(key)) && 'type' in value;
}

function endOfValue(json: string, start: number): number {
  const first = json[start];
  if (first === '"') return endOfString(json, start);
  if (first !== '{' && first !== '[') {
    let i = start;
    while (i < json.length && json[i] !== ',' && json[i] !== '}' && json[i] !== ']') i++;
    return i;
  }
  let depth = 0;
  for (let i = start; i < json.length; i++) {
    const c = json[i];
    if (c === '"') i = endOfString(json, i) - 1;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return json.length;
}

function endOfString(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    if (json[i] === '\\') i++;
    else if (json[i] === '"') return i + 1;
  }
  return json.length;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
