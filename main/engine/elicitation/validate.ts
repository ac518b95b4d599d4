/**
 * Checks both sides of a question: what a server asks (untrusted: normalised into the typed
 * Question the UI renders, or refused as invalid params) and what the user answers (checked against the
 * form before anything goes back to the server, with an error that names the field).
 */
import { GatewayError, RpcCode } from '../protocol/errors.ts';
import {
  STRING_FORMATS,
  type FormField,
  type FormSchema,
  type FormValue,
  type SamplingContent,
  type SamplingMessage,
  type SamplingParams,
} from '../../../preload/contract/index.ts';

/** An answer the broker refused; `field` names the form field at fault, when there is one. */
export class QuestionAnswerError extends GatewayError {
  constructor(message: string, field?: string) {
    super('invalid_request', message, field === undefined ? undefined : { field });
    this.name = 'QuestionAnswerError';
  }
}

/** A malformed server request: the server gets JSON-RPC invalid params, the user sees nothing. */
export function invalidParams(message: string): GatewayError {
  return new GatewayError('invalid_request', message, { rpc: { code: RpcCode.InvalidParams, message } });
}

export const MAX_FORM_FIELDS = 100;
/**
 * Choices one form may offer, all its fields together (a list of countries is some 250): each is
 * drawn in the app, and a form of hundreds of thousands froze it for as long as it was open.
 */
export const MAX_FORM_CHOICES = 1000;

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}

const isNonNegativeInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
/** A title the app can show: a blank one would leave a field or a choice without a name, so it goes by its own. */
const isTitle = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * The indexes of each value's first appearance: a server may list a choice twice, which the app
 * shows once (two of the same value cannot be told apart, and the Questions screen drew nothing).
 */
function firstOfEach(values: string[]): number[] {
  const seen = new Set<string>();
  return values.flatMap((value, i) => (seen.has(value) ? [] : (seen.add(value), [i])));
}

function titledConsts(raw: unknown): { const: string; title?: string }[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const out: { const: string; title?: string }[] = [];
  for (const option of raw) {
    if (!isObject(option) || typeof option.const !== 'string') return undefined;
    out.push(isTitle(option.title) ? { const: option.const, title: option.title } : { const: option.const });
  }
  return firstOfEach(out.map((o) => o.const)).map((i) => out[i]!);
}

const FIELD_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array']);

function normalizeField(name: string, raw: unknown): FormField {
  if (!isObject(raw)) throw invalidParams(`elicitation/create: requestedSchema property "${name}" must be an object`);
  const type = raw.type;
  if (typeof type !== 'string' || !FIELD_TYPES.has(type)) {
    throw invalidParams(
      `elicitation/create: requestedSchema property "${name}" has unsupported ` +
        `type ${describe(type)} (forms take string, number, integer, boolean or a multi-select array)`,
    );
  }
  const field: FormField = { type: type as FormField['type'] };
  if (isTitle(raw.title)) field.title = raw.title;
  if (typeof raw.description === 'string') field.description = raw.description;
  switch (field.type) {
    case 'string': {
      if (isStringArray(raw.enum) && raw.enum.length > 0) {
        const kept = firstOfEach(raw.enum);
        field.enum = kept.map((i) => (raw.enum as string[])[i]!);
        if (isStringArray(raw.enumNames) && raw.enumNames.length === raw.enum.length)
          field.enumNames = kept.map((i) => {
            const title = (raw.enumNames as string[])[i]!;
            return isTitle(title) ? title : (raw.enum as string[])[i]!;
          });
      }
      const oneOf = titledConsts(raw.oneOf);
      if (oneOf) field.oneOf = oneOf;
      if (typeof raw.format === 'string') field.format = raw.format;
      // Typed hidden in the app, as the traffic record hides it (traffic/sensitive.ts).
      if (raw.writeOnly === true || raw.format === 'password') field.sensitive = true;
      if (isNonNegativeInteger(raw.minLength)) field.minLength = raw.minLength;
      if (isNonNegativeInteger(raw.maxLength)) field.maxLength = raw.maxLength;
      if (typeof raw.default === 'string') field.default = raw.default;
      break;
    }
    case 'number':
    case 'integer':
      if (isFiniteNumber(raw.minimum)) field.minimum = raw.minimum;
      if (isFiniteNumber(raw.maximum)) field.maximum = raw.maximum;
      if (isFiniteNumber(raw.default)) field.default = raw.default;
      break;
    case 'boolean':
      if (typeof raw.default === 'boolean') field.default = raw.default;
      break;
    case 'array': {
      const items = raw.items;
      const values =
        isObject(items) && isStringArray(items.enum) && items.enum.length > 0
          ? firstOfEach(items.enum).map((i) => (items.enum as string[])[i]!)
          : undefined;
      const anyOf = isObject(items) ? titledConsts(items.anyOf) : undefined;
      if (!values && !anyOf) {
        throw invalidParams(
          `elicitation/create: requestedSchema property "${name}" is an array without a list of allowed ` +
            `values (items.enum or items.anyOf)`,
        );
      }
      field.items = { type: 'string', ...(values ? { enum: values } : {}), ...(anyOf ? { anyOf } : {}) };
      if (isNonNegativeInteger(raw.minItems)) field.minItems = raw.minItems;
      if (isNonNegativeInteger(raw.maxItems)) field.maxItems = raw.maxItems;
      if (isStringArray(raw.default)) field.default = [...new Set(raw.default)];
      break;
    }
  }
  return field;
}

/**
 * The form of an elicitation, reduced to the keywords the UI renders (unknown ones are dropped);
 * a schema the user could not fill in is refused.
 */
export function normalizeRequestedSchema(raw: unknown): FormSchema {
  if (!isObject(raw)) throw invalidParams('elicitation/create: form mode needs a requestedSchema object');
  if (raw.type !== undefined && raw.type !== 'object')
    throw invalidParams(`elicitation/create: requestedSchema must have type "object", got ${describe(raw.type)}`);
  const props = raw.properties ?? {};
  if (!isObject(props)) throw invalidParams('elicitation/create: requestedSchema.properties must be an object');
  const names = Object.keys(props);
  if (names.length > MAX_FORM_FIELDS)
    throw invalidParams(
      `elicitation/create: requestedSchema has ${names.length} properties, more than ${MAX_FORM_FIELDS}`,
    );
  // fromEntries defines own properties, so a field named "__proto__" stays a field.
  const properties = Object.fromEntries(names.map((name) => [name, normalizeField(name, props[name])]));
  let choices = 0;
  for (const name of names) {
    const field = properties[name]!;
    const offered =
      (field.enum?.length ?? 0) +
      (field.oneOf?.length ?? 0) +
      (field.items?.enum?.length ?? 0) +
      (field.items?.anyOf?.length ?? 0);
    choices += offered;
    if (choices > MAX_FORM_CHOICES)
      throw invalidParams(
        `elicitation/create: requestedSchema offers more than ${MAX_FORM_CHOICES} choices ` +
          (offered === choices ? `(property "${name}" alone has ${offered})` : `(${choices} up to property "${name}")`),
      );
  }
  const schema: FormSchema = { type: 'object', properties };
  if (raw.required !== undefined) {
    if (!isStringArray(raw.required))
      throw invalidParams('elicitation/create: requestedSchema.required must be an array of property names');
    const unknown = raw.required.find((name) => !Object.hasOwn(properties, name));
    if (unknown !== undefined)
      throw invalidParams(`elicitation/create: requestedSchema.required names "${unknown}", which is not a property`);
    if (raw.required.length) schema.required = [...new Set(raw.required)];
    for (const name of schema.required ?? []) {
      const why = unanswerable(properties[name]!);
      if (why !== undefined)
        throw invalidParams(
          `elicitation/create: requestedSchema property "${name}" is required, and no answer fits it: ${why}`,
        );
    }
  }
  return schema;
}

/**
 * Why no value can answer a field (its bounds contradict each other), or undefined. Required, such
 * a field leaves the user a form that every Accept refuses, and no way on but to decline it.
 */
function unanswerable(field: FormField): string | undefined {
  const { minimum: min, maximum: max } = field;
  if (min !== undefined && max !== undefined) {
    if (min > max) return `its minimum ${min} is above its maximum ${max}`;
    if (field.type === 'integer' && Math.ceil(min) > Math.floor(max))
      return `no whole number lies between its minimum ${min} and its maximum ${max}`;
  }
  if (field.minLength !== undefined && field.maxLength !== undefined && field.minLength > field.maxLength)
    return `its minLength ${field.minLength} is above its maxLength ${field.maxLength}`;
  if (field.type === 'array') {
    const offered = (field.items?.enum ?? field.items?.anyOf ?? []).length;
    if (field.minItems !== undefined && field.maxItems !== undefined && field.minItems > field.maxItems)
      return `its minItems ${field.minItems} is above its maxItems ${field.maxItems}`;
    if (field.minItems !== undefined && field.minItems > offered)
      return `its minItems ${field.minItems} is more than the ${offered} choices it offers`;
  }
  return undefined;
}

// ---- answers ---------------------------------------------------------------

function allowedValues(field: FormField): string[] | undefined {
  if (field.type === 'array') return field.items?.enum ?? field.items?.anyOf?.map((o) => o.const);
  if (field.enum) return field.enum;
  return field.oneOf?.map((o) => o.const);
}

const quoteList = (values: string[]) => values.map((v) => JSON.stringify(v)).join(', ');

function checkField(name: string, field: FormField, value: unknown): FormValue {
  const fail = (message: string) => new QuestionAnswerError(`field "${name}" ${message}`, name);
  switch (field.type) {
    case 'string': {
      if (typeof value !== 'string') throw fail(`must be a string, got ${describe(value)}`);
      const allowed = allowedValues(field);
      if (allowed && !allowed.includes(value))
        throw fail(`must be one of ${quoteList(allowed)}, got ${describe(value)}`);
      const length = [...value].length;
      if (field.minLength !== undefined && length < field.minLength)
        throw fail(`must be at least ${field.minLength} characters long`);
      if (field.maxLength !== undefined && length > field.maxLength)
        throw fail(`must be at most ${field.maxLength} characters long`);
      const format = field.format === undefined ? undefined : STRING_FORMATS[field.format];
      if (format && !format.test(value)) throw fail(`must be ${format.what}, got ${describe(value)}`);
      return value;
    }
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(`must be a number, got ${describe(value)}`);
      if (field.type === 'integer' && !Number.isInteger(value))
        throw fail(`must be an integer, got ${describe(value)}`);
      if (field.minimum !== undefined && value < field.minimum)
        throw fail(`must be at least ${field.minimum}, got ${value}`);
      if (field.maximum !== undefined && value > field.maximum)
        throw fail(`must be at most ${field.maximum}, got ${value}`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw fail(`must be true or false, got ${describe(value)}`);
      return value;
    case 'array': {
      if (!isStringArray(value)) throw fail(`must be an array of strings, got ${describe(value)}`);
      const allowed = allowedValues(field) ?? [];
      const bad = value.find((v) => !allowed.includes(v));
      if (bad !== undefined) throw fail(`may only contain ${quoteList(allowed)}, got ${describe(bad)}`);
      if (new Set(value).size !== value.length) throw fail('must not contain the same value twice');
      if (field.minItems !== undefined && value.length < field.minItems)
        throw fail(`needs at least ${field.minItems} selected`);
      if (field.maxItems !== undefined && value.length > field.maxItems)
        throw fail(`allows at most ${field.maxItems} selected`);
      return [...value];
    }
  }
}

/** The content of an accepted form, checked against its schema; returns a clean copy. */
export function validateFormContent(schema: FormSchema, content: unknown): Record<string, FormValue> {
  if (content === undefined) content = {};
  if (!isObject(content))
    throw new QuestionAnswerError(`"content" must be an object of field values, got ${describe(content)}`);
  const names = Object.keys(schema.properties);
  const entries: [string, FormValue][] = [];
  for (const [key, value] of Object.entries(content)) {
    if (!Object.hasOwn(schema.properties, key)) {
      throw new QuestionAnswerError(
        `unknown field "${key}" (the form's fields ` +
          `are: ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'})`,
        key,
      );
    }
    if (value === undefined) continue;
    entries.push([key, checkField(key, schema.properties[key]!, value)]);
  }
  for (const name of schema.required ?? []) {
    if (!entries.some(([key]) => key === name)) throw new QuestionAnswerError(`field "${name}" is required`, name);
  }
  return Object.fromEntries(entries);
}

// ---- sampling --------------------------------------------------------------

function samplingContent(raw: unknown, where: string): SamplingContent {
  if (!isObject(raw) || typeof raw.type !== 'string')
    throw invalidParams(`sampling/createMessage: ${where} must be a content object with a "type"`);
  return raw as SamplingContent;
}

/** The parts of a sampling request the user needs to see to answer it. */
export function normalizeSamplingParams(raw: Json): SamplingParams {
  const messages = raw.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw invalidParams('sampling/createMessage: "messages" must be a non-empty array');
  const out: SamplingMessage[] = messages.map((m, i) => {
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant'))
      throw invalidParams(`sampling/createMessage: messages[${i}] needs role "user" or "assistant"`);
    const content = Array.isArray(m.content)
      ? m.content.map((c, j) => samplingContent(c, `messages[${i}].content[${j}]`))
      : samplingContent(m.content, `messages[${i}].content`);
    return { role: m.role, content };
  });
  const params: SamplingParams = { messages: out };
  if (typeof raw.systemPrompt === 'string') params.systemPrompt = raw.systemPrompt;
  if (isFiniteNumber(raw.maxTokens)) params.maxTokens = raw.maxTokens;
  if (isFiniteNumber(raw.temperature)) params.temperature = raw.temperature;
  if (isStringArray(raw.stopSequences)) params.stopSequences = raw.stopSequences;
  if (typeof raw.includeContext === 'string') params.includeContext = raw.includeContext;
  if (isObject(raw.modelPreferences)) params.modelPreferences = raw.modelPreferences;
  if (Array.isArray(raw.tools)) params.tools = raw.tools.filter(isObject);
  return params;
}

/** An accepted sampling answer as the CreateMessageResult the server gets. */
export function samplingResult(answer: Json): Record<string, unknown> {
  for (const key of Object.keys(answer)) {
    if (!['action', 'role', 'content', 'model'].includes(key)) {
      throw new QuestionAnswerError(
        `unexpected "${key}" in a sampling answer (it takes action, role, content and model)`,
      );
    }
  }
  if (answer.role !== undefined && answer.role !== 'assistant')
    throw new QuestionAnswerError(`"role" of a sampling reply must be "assistant", got ${describe(answer.role)}`);
  const content = answer.content;
  if (!isObject(content) || content.type !== 'text' || typeof content.text !== 'string') {
    throw new QuestionAnswerError('a sampling reply needs "content": { "type": "text", "text": "…" }', 'content');
  }
  if (content.text.trim() === '')
    throw new QuestionAnswerError('the sampling reply is empty: type a reply or decline', 'content');
  if (answer.model !== undefined && (typeof answer.model !== 'string' || answer.model.trim() === '')) {
    throw new QuestionAnswerError(`"model" must be a non-empty string, got ${describe(answer.model)}`, 'model');
  }
  return {
    role: 'assistant',
    content: { type: 'text', text: content.text },
    model: answer.model ?? 'user',
    stopReason: 'endTurn',
  };
}
