import { describe, expect, it } from 'vitest';
import type { FormSchema, FormValue } from '../../../preload/contract/index.ts';
import { checkForm, fieldHint, formContent, initialValues } from '../../../renderer/src/lib/question-form.ts';

const utc = () => 0;

/** As the gateway hands it over: parsed JSON, where "__proto__" is an own property. */
const schema = (json: string): FormSchema => JSON.parse(json) as FormSchema;

describe('a question form', () => {
  it('says beside a field what it takes, before Accept refuses it', () => {
    expect(fieldHint({ type: 'string', maxLength: 20 }, true)).toBe('At most 20 characters.');
    expect(fieldHint({ type: 'string', description: 'Your name', minLength: 2, maxLength: 40 }, true)).toBe(
      'Your name. From 2 to 40 characters.',
    );
    expect(fieldHint({ type: 'string', format: 'email', maxLength: 100, description: 'Where to write:' }, false)).toBe(
      'Where to write: An email address, at most 100 characters.',
    );
    expect(fieldHint({ type: 'string', format: 'uri' }, false)).toBe('A full link, such as https://example.com.');
    expect(fieldHint({ type: 'integer', minimum: 1, maximum: 10 }, true)).toBe('A whole number from 1 to 10.');
    expect(fieldHint({ type: 'integer' }, false)).toBe('A whole number.');
    expect(fieldHint({ type: 'number', minimum: 0 }, false)).toBe('A number at least 0.');
    expect(fieldHint({ type: 'array', minItems: 1, maxItems: 3 }, false)).toBe('Choose from 1 to 3, or none.');
    expect(fieldHint({ type: 'array', minItems: 1, maxItems: 3 }, true)).toBe('Choose up to 3.');
    // Nothing to add: the input says the rest.
    expect(fieldHint({ type: 'number' }, false)).toBeUndefined();
    expect(fieldHint({ type: 'string', format: 'date', description: 'The day.' }, false)).toBe('The day.');
    expect(fieldHint({ type: 'string', enum: ['a', 'b'] }, false)).toBeUndefined();
    expect(fieldHint({ type: 'boolean' }, false)).toBeUndefined();
  });

  it('takes fields named like built-in object properties as fields like any other', () => {
    const form = schema(
      '{"type":"object","properties":{"constructor":{"type":"string"},"toString":{"type":"string"},' +
        '"valueOf":{"type":"number"},"__proto__":{"type":"string"}},"required":["constructor"]}',
    );
    const values = initialValues(form);
    expect([...values]).toEqual([]);
    expect([...checkForm(form, values, utc)]).toEqual([['constructor', 'constructor is required.']]);
    values.set('constructor', 'Acme');
    values.set('__proto__', 'p');
    expect(checkForm(form, values, utc).size).toBe(0);
    const content = formContent(form, values, utc);
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype);
    expect(Object.entries(content)).toEqual([
      ['constructor', 'Acme'],
      ['__proto__', 'p'],
    ]);
    expect(JSON.stringify(content)).toBe('{"constructor":"Acme","__proto__":"p"}');
  });

  it('sends a link typed with a letter such as ä, or a space, encoded as a link holds them', () => {
    const form: FormSchema = { type: 'object', properties: { page: { type: 'string', format: 'uri' } } };
    const typed = new Map<string, FormValue>([['page', 'https://exämple.com/wiki/Käse vom Hof']]);
    expect(checkForm(form, typed, utc)).toEqual(new Map());
    expect(formContent(form, typed, utc)).toEqual({ page: 'https://xn--exmple-cua.com/wiki/K%C3%A4se%20vom%20Hof' });
    // A link already as it is sent goes as typed (not made over: no slash added to a bare host).
    const plain = new Map<string, FormValue>([['page', 'HTTPS://Example.com']]);
    expect(formContent(form, plain, utc)).toEqual({ page: 'HTTPS://Example.com' });
    // What encoding does not make a link is refused, not sent to a server that refuses it.
    for (const bad of ['example.com', 'https://example.com/50%off', 'https://example.com/%zz'])
      expect([bad, checkForm(form, new Map([['page', bad]]), utc).get('page')]).toEqual([
        bad,
        'page must be a full link, such as https://example.com.',
      ]);
  });

  it('sends numbers as numbers and leaves empty fields out', () => {
    const form = schema(
      '{"type":"object","properties":{"n":{"type":"integer"},"s":{"type":"string"},"b":{"type":"boolean"}}}',
    );
    const values = new Map<string, FormValue>([...initialValues(form), ['n', '42'], ['s', '']]);
    expect(formContent(form, values, utc)).toEqual({ n: 42, b: false });
  });

  it('sends a required yes/no with no default only once it is answered, one with a default as shown', () => {
    const form = schema(
      '{"type":"object","properties":{"keep":{"type":"boolean","title":"Keep"},' +
        '"notify":{"type":"boolean","default":true},"extra":{"type":"boolean"}},"required":["keep","notify"]}',
    );
    const values = initialValues(form);
    expect([...values]).toEqual([
      ['notify', true],
      ['extra', false],
    ]);
    expect([...checkForm(form, values, utc)]).toEqual([['keep', 'Keep: choose Yes or No.']]);
    values.set('keep', false);
    expect(checkForm(form, values, utc).size).toBe(0);
    expect(formContent(form, values, utc)).toEqual({ keep: false, notify: true, extra: false });
  });

  it('leaves an optional multiple choice with nothing chosen out of the answer', () => {
    const form = schema(
      '{"type":"object","properties":{"name":{"type":"string"},' +
        '"extras":{"type":"array","items":{"type":"string","enum":["wifi","parking"]},"minItems":1}},' +
        '"required":["name"]}',
    );
    const values = initialValues(form);
    values.set('name', 'Ann');
    expect(checkForm(form, values, utc).size).toBe(0);
    expect(formContent(form, values, utc)).toEqual({ name: 'Ann' });
    // Ticked, then unticked again: still nothing chosen.
    values.set('extras', []);
    expect(formContent(form, values, utc)).toEqual({ name: 'Ann' });
    values.set('extras', ['wifi']);
    expect(formContent(form, values, utc)).toEqual({ name: 'Ann', extras: ['wifi'] });
  });

  it("names a multiple choice in its message, as every field's, chosen too few or too many", () => {
    const form = schema(
      '{"type":"object","properties":{"tags":{"type":"array","title":"Tags",' +
        '"items":{"type":"string","enum":["a","b","c"]},"minItems":2,"maxItems":2}}}',
    );
    const values = initialValues(form);
    values.set('tags', ['a']);
    expect([...checkForm(form, values, utc)]).toEqual([['tags', 'Tags: choose at least 2.']]);
    values.set('tags', ['a', 'b', 'c']);
    expect([...checkForm(form, values, utc)]).toEqual([['tags', 'Tags: choose at most 2.']]);
  });

  it('takes a required multiple choice with nothing chosen as an answer of none, unless it sets minItems', () => {
    const form = schema(
      '{"type":"object","properties":{' +
        '"remove":{"type":"array","items":{"type":"string","enum":["a.txt","b.txt"]}},' +
        '"keep":{"type":"array","items":{"type":"string","enum":["a.txt","b.txt"]},"minItems":1}},' +
        '"required":["remove","keep"]}',
    );
    const values = initialValues(form);
    expect([...checkForm(form, values, utc)]).toEqual([['keep', 'keep: choose at least 1.']]);
    values.set('keep', ['b.txt']);
    expect(checkForm(form, values, utc).size).toBe(0);
    expect(formContent(form, values, utc)).toEqual({ remove: [], keep: ['b.txt'] });
    values.set('remove', ['a.txt']);
    expect(formContent(form, values, utc)).toEqual({ remove: ['a.txt'], keep: ['b.txt'] });
  });

  it('starts a choice whose default the list does not offer as not chosen, rather than send it unseen', () => {
    const form = schema(
      '{"type":"object","properties":{"tier":{"type":"string","enum":["silver","bronze"],"default":"gold"},' +
        '"plan":{"type":"string","oneOf":[{"const":"a","title":"A"}],"default":"a"},' +
        '"extras":{"type":"array","items":{"type":"string","enum":["wifi","meal"]},"default":["wifi","spa"]}}}',
    );
    expect([...initialValues(form)]).toEqual([
      ['plan', 'a'],
      ['extras', ['wifi']],
    ]);
  });

  it("shows a date and time default in the user's time zone, and sends that same moment", () => {
    const berlin = () => 60;
    const form = schema(
      '{"type":"object","properties":{"when":{"type":"string","format":"date-time","default":"2026-12-24T10:30:00Z"},' +
        '"day":{"type":"string","format":"date","default":"24.12.2026"},' +
        '"at":{"type":"string","format":"date-time","default":"soon"}},"required":["when"]}',
    );
    const values = initialValues(form, berlin);
    // What a picker cannot show starts empty instead of being sent unseen.
    expect([...values]).toEqual([['when', '2026-12-24T11:30']]);
    expect(checkForm(form, values, berlin).size).toBe(0);
    expect(formContent(form, values, berlin)).toEqual({ when: '2026-12-24T11:30:00+01:00' });
  });
});
