/**
 * What a question's form holds, checks and sends, apart from how it is drawn (QuestionForm.svelte).
 * Values and errors are Maps keyed by field name: a server names its fields, and a name such as
 * `constructor` or `__proto__` must be a field like any other, not a property every object has.
 */
import {
  STRING_FORMATS,
  linkAsSent,
  localDateTime,
  pickerDateTime,
  type FormField,
  type FormSchema,
  type FormValue,
} from '../../../preload/contract/index.ts';

/** The user's time zone offset (minutes east of UTC) at a moment; the page passes its own. */
export type OffsetMinutes = (at: Date) => number;

export const browserOffset: OffsetMinutes = (at) => -at.getTimezoneOffset();

/**
 * A required yes/no with no default, asked as Yes or No with neither chosen: an unticked box would
 * send "no" for it though the user never looked. An optional one, or one with a default, is a box.
 */
export function asksYesOrNo(field: FormField, required: boolean): boolean {
  return field.type === 'boolean' && required && field.default === undefined;
}

/**
 * What each field starts with: its default as its input shows it, or off for a yes/no box; others
 * (and a yes/no asked as Yes or No) start empty. A date and time is shown in the user's time zone
 * (and sent back as that same moment); a date default a picker cannot show is left out, not sent unseen.
 */
export function initialValues(schema: FormSchema, offset: OffsetMinutes = browserOffset): Map<string, FormValue> {
  const out = new Map<string, FormValue>();
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties)) {
    const shown = field.default === undefined ? undefined : shownDefault(field, field.default, offset);
    if (shown !== undefined) out.set(name, shown);
    else if (field.type === 'boolean' && !asksYesOrNo(field, required.has(name))) out.set(name, false);
  }
  return out;
}

function shownDefault(field: FormField, value: FormValue, offset: OffsetMinutes): FormValue | undefined {
  // A choice the list does not offer cannot be shown as chosen: it would be sent unseen.
  const offered = choiceValues(field);
  if (offered && Array.isArray(value)) {
    const kept = value.filter((v) => offered.includes(v));
    return kept.length ? kept : undefined;
  }
  if (offered && typeof value === 'string' && !offered.includes(value)) return undefined;
  if (typeof value !== 'string') return value;
  if (field.format === 'date-time') return pickerDateTime(value, offset);
  if (field.format === 'date') return STRING_FORMATS.date!.test(value) ? value : undefined;
  return value;
}

/** The values a choice field offers (one choice, or several: `items`); undefined for other fields. */
function choiceValues(field: FormField): string[] | undefined {
  if (field.oneOf) return field.oneOf.map((o) => o.const);
  if (field.enum) return field.enum;
  if (field.items?.anyOf) return field.items.anyOf.map((o) => o.const);
  return field.items?.enum;
}

/**
 * What is sent for a string field: a date-time picker's local value with seconds and the time zone; a
 * link with what a link cannot hold as typed (ä, a space) encoded, as the server checks it.
 */
function answered(field: FormField, value: string, offset: OffsetMinutes): string {
  if (field.format === 'date-time') return localDateTime(value, offset);
  return field.format === 'uri' ? linkAsSent(value) : value;
}

/**
 * What is said of a field whose input holds text the browser cannot read as its kind ("1e" or "--"
 * in a number, a date with its year left out): its value reads empty, yet the user sees what they typed.
 */
function unreadableText(field: FormField, label: string): string {
  if (field.type === 'integer') return `${label} must be a whole number.`;
  if (field.type === 'number') return `${label} must be a number.`;
  if (field.format === 'date') return `${label} must be a whole date: its day, month and year.`;
  if (field.format === 'date-time') return `${label} must be a whole date and time: each of its parts.`;
  return `${label} cannot be read as typed.`;
}

/**
 * Each field's problem, in words, by name; empty when the form may be sent. `unreadable` names the
 * fields whose input the browser could not read (validity.badInput), whose value reads empty.
 */
/**
 * What a field takes, said beside it before Accept (the checks above say it only once broken):
 * "At most 20 characters.", "A whole number from 1 to 10.", "Choose up to 3.". Undefined when
 * nothing needs saying (its input, a date picker say the rest).
 */
export function limitsOf(field: FormField, required: boolean): string | undefined {
  const range = (min: number | undefined, max: number | undefined, unit = ''): string | undefined =>
    min !== undefined && max !== undefined
      ? min === max
        ? `exactly ${min}${unit}`
        : `from ${min} to ${max}${unit}`
      : min !== undefined
        ? `at least ${min}${unit}`
        : max !== undefined
          ? `at most ${max}${unit}`
          : undefined;
  const sentence = (text: string | undefined) => text && `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  if (field.type === 'number' || field.type === 'integer') {
    const span = range(field.minimum, field.maximum);
    if (field.type === 'integer') return sentence(`a whole number${span ? ` ${span}` : ''}`);
    return sentence(span && `a number ${span}`);
  }
  if (field.type === 'string') {
    if (field.enum || field.oneOf) return undefined;
    const length = range(field.minLength, field.maxLength, ' characters');
    const format = field.format === 'email' || field.format === 'uri' ? STRING_FORMATS[field.format]?.what : undefined;
    return sentence([format, length].filter(Boolean).join(', ') || undefined);
  }
  if (field.type === 'array') {
    // A required one's minimum is in its legend already.
    const min = required ? undefined : field.minItems;
    if (min !== undefined && field.maxItems !== undefined) return `Choose from ${min} to ${field.maxItems}, or none.`;
    if (min !== undefined) return `Choose at least ${min}, or none.`;
    if (field.maxItems !== undefined) return `Choose up to ${field.maxItems}.`;
  }
  return undefined;
}

/** The line under a field: the server's description, then what it takes (limitsOf). */
export function fieldHint(field: FormField, required: boolean): string | undefined {
  const limits = limitsOf(field, required);
  const description = field.description?.trim();
  if (!description) return limits;
  if (!limits) return description;
  return `${description}${/[.!?:;]$/.test(description) ? '' : '.'} ${limits}`;
}

export function checkForm(
  schema: FormSchema,
  values: ReadonlyMap<string, FormValue>,
  offset: OffsetMinutes = browserOffset,
  unreadable: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const found = new Map<string, string>();
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties)) {
    const value = values.get(name);
    const label = field.title ?? name;
    if (unreadable.has(name)) {
      found.set(name, unreadableText(field, label));
      continue;
    }
    const empty = value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
    if (empty) {
      // A required multiple choice may be answered with none of its choices ([]) unless it sets minItems.
      if (field.type === 'array') {
        if (required.has(name) && field.minItems) found.set(name, `${label}: choose at least ${field.minItems}.`);
      } else if (field.type === 'boolean') {
        if (required.has(name)) found.set(name, `${label}: choose Yes or No.`);
      } else if (required.has(name)) found.set(name, `${label} is required.`);
      continue;
    }
    if (field.type === 'number' || field.type === 'integer') {
      const n = Number(value);
      if (!Number.isFinite(n)) found.set(name, `${label} must be a number.`);
      else if (field.type === 'integer' && !Number.isInteger(n)) found.set(name, `${label} must be a whole number.`);
      else if (field.minimum !== undefined && n < field.minimum)
        found.set(name, `${label} must be at least ${field.minimum}.`);
      else if (field.maximum !== undefined && n > field.maximum)
        found.set(name, `${label} must be at most ${field.maximum}.`);
    } else if (field.type === 'string' && typeof value === 'string') {
      // Characters as the gateway counts them (code points), not UTF-16 units.
      const length = [...value].length;
      const format = field.format === undefined ? undefined : STRING_FORMATS[field.format];
      if (field.minLength !== undefined && length < field.minLength)
        found.set(name, `${label} must be at least ${field.minLength} characters.`);
      else if (field.maxLength !== undefined && length > field.maxLength)
        found.set(name, `${label} must be at most ${field.maxLength} characters.`);
      else if (format && !format.test(answered(field, value, offset)))
        found.set(name, `${label} must be ${format.what}.`);
    } else if (field.type === 'array' && Array.isArray(value)) {
      // Named like every other field's message: read out alone (an alert), "Choose at most 2." said not which.
      if (field.minItems !== undefined && value.length < field.minItems)
        found.set(name, `${label}: choose at least ${field.minItems}.`);
      if (field.maxItems !== undefined && value.length > field.maxItems)
        found.set(name, `${label}: choose at most ${field.maxItems}.`);
    }
  }
  return found;
}

/**
 * The answer's content: fields left empty are left out, an optional multiple choice with nothing
 * chosen too (sent as `[]`, one with `minItems` would be refused); a required one is sent as `[]`.
 */
export function formContent(
  schema: FormSchema,
  values: ReadonlyMap<string, FormValue>,
  offset: OffsetMinutes = browserOffset,
): Record<string, FormValue> {
  const entries: [string, FormValue][] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties)) {
    const value = values.get(name);
    if (field.type === 'array' && required.has(name) && (value === undefined || Array.isArray(value))) {
      entries.push([name, value ?? []]);
      continue;
    }
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    if (field.type === 'number' || field.type === 'integer') entries.push([name, Number(value)]);
    else entries.push([name, typeof value === 'string' ? answered(field, value, offset) : value]);
  }
  // fromEntries defines own properties: a field named "__proto__" is sent as a field.
  return Object.fromEntries(entries);
}
