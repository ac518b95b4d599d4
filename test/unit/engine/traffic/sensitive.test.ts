import { describe, expect, it } from 'vitest';
import { SENSITIVE_FIELDS, SensitiveFields } from '../../../../main/engine/traffic/sensitive.ts';

const redacted = (fields: SensitiveFields, value: unknown): unknown => JSON.parse(fields.redact(JSON.stringify(value)));

const toolList = (properties: Record<string, unknown>) => ({
  tools: [{ name: 'login', inputSchema: { type: 'object', properties } }],
});

describe('SensitiveFields', () => {
  it('hides the values of well-known credential fields, whatever their case', () => {
    const fields = new SensitiveFields();
    expect(
      redacted(fields, {
        Password: 'hunter2',
        API_KEY: 'k',
        authorization: 'Bearer abc',
        Token: 123,
        refresh_token: true,
        client_secret: null,
        'X-Api-Key': 'x',
        Cookie: 'a=b',
        user: 'ada',
      }),
    ).toEqual({
      Password: '[redacted]',
      API_KEY: '[redacted]',
      authorization: '[redacted]',
      Token: '[redacted]',
      refresh_token: '[redacted]',
      client_secret: '[redacted]',
      'X-Api-Key': '[redacted]',
      Cookie: '[redacted]',
      user: 'ada',
    });
    for (const name of SENSITIVE_FIELDS) expect(fields.has(name.toUpperCase()), name).toBe(true);
    expect(fields.size).toBe(SENSITIVE_FIELDS.length);
  });

  it('replaces an object or an array value whole, however deep and whatever its strings hold', () => {
    const fields = new SensitiveFields();
    const value = {
      before: 1,
      secret: { a: [1, { b: 'a "quoted" } ] brace', c: null }], d: '\\' },
      middle: [{ token: ['x', 'y]'] }, 'z'],
      after: { ok: true },
    };
    expect(redacted(fields, value)).toEqual({
      before: 1,
      secret: '[redacted]',
      middle: [{ token: '[redacted]' }, 'z'],
      after: { ok: true },
    });
  });

  it("shows a tool's schema for a sensitive field, but not a value the schema holds", () => {
    const fields = new SensitiveFields();
    const schema = { type: 'string', description: 'Your password', writeOnly: true, minLength: 8 };
    expect(redacted(fields, toolList({ password: schema, user: { type: 'string' } }))).toEqual(
      toolList({ password: schema, user: { type: 'string' } }),
    );
    // A default, an example or an allowed value could be the secret itself: hidden whole.
    for (const extra of [{ default: 'hunter2' }, { examples: ['hunter2'] }, { enum: ['hunter2'] }, { const: 'x' }]) {
      const withValue = { type: 'string', ...extra };
      expect(redacted(fields, { password: withValue })).toEqual({ password: '[redacted]' });
    }
    // An object that is not a schema is hidden whole, as before.
    expect(redacted(fields, { token: { type: 'bearer', value: 'abc' } })).toEqual({ token: '[redacted]' });
    expect(redacted(fields, { secret: { value: 'abc' } })).toEqual({ secret: '[redacted]' });
  });

  it('matches a member name exactly, not a name that contains it', () => {
    const fields = new SensitiveFields();
    const value = { mypassword: 'a', password_hint: 'b', tokens: 3, nested: { secretary: 'c' } };
    const text = JSON.stringify(value);
    expect(fields.redact(text)).toBe(text);
  });

  it('leaves names inside string values alone (a JSON text as a tool result)', () => {
    const fields = new SensitiveFields();
    for (const value of [
      { text: '{"password": "x", "token":"y"}' },
      { content: [{ type: 'text', text: JSON.stringify({ password: 'x', api_key: 'k' }) }] },
      { note: 'set "secret": to something' },
    ]) {
      const text = JSON.stringify(value);
      expect(fields.redact(text)).toBe(text);
    }
  });

  it('hides the rest of a text cut inside a sensitive value', () => {
    const fields = new SensitiveFields();
    expect(fields.redact('{"a":1,"password":"hunter2 and more')).toBe('{"a":1,"password":"[redacted]"');
    expect(fields.redact('{"token":{"a":[1,2')).toBe('{"token":"[redacted]"');
  });

  it('learns the fields a server marks sensitive in its tool list, nested properties too', () => {
    const fields = new SensitiveFields();
    fields.learnFrom(
      'tools/list',
      toolList({
        user: { type: 'string' },
        pin: { type: 'string', writeOnly: true },
        settings: {
          type: 'object',
          properties: { otp: { type: 'string', format: 'password' }, color: { type: 'string' } },
        },
      }),
    );
    expect(fields.has('pin')).toBe(true);
    expect(fields.has('otp')).toBe(true);
    expect(fields.has('user')).toBe(false);
    expect(fields.has('color')).toBe(false);
    expect(fields.has('settings')).toBe(false);
    expect(
      redacted(fields, {
        name: 'login',
        arguments: { user: 'ada', pin: '1234', settings: { otp: '9', color: 'red' } },
      }),
    ).toEqual({
      name: 'login',
      arguments: { user: 'ada', pin: '[redacted]', settings: { otp: '[redacted]', color: 'red' } },
    });
  });

  it('learns the fields marked in array items, in schema alternatives and in definitions', () => {
    const fields = new SensitiveFields();
    fields.learnFrom('tools/list', {
      tools: [
        {
          // As pydantic writes a model with a SecretStr field.
          name: 'connect',
          inputSchema: {
            type: 'object',
            $defs: {
              Credentials: {
                type: 'object',
                properties: { db_secret: { type: 'string', format: 'password', writeOnly: true } },
              },
            },
            properties: { creds: { $ref: '#/$defs/Credentials' } },
          },
        },
      ],
    });
    fields.learnFrom(
      'tools/list',
      toolList({
        accounts: {
          type: 'array',
          items: { type: 'object', properties: { vault_pin: { type: 'string', writeOnly: true } } },
        },
        auth: {
          anyOf: [
            { type: 'object', properties: { bearer: { type: 'string', format: 'password' } } },
            { type: 'object', properties: { basic: { type: 'string', writeOnly: true } } },
          ],
        },
      }),
    );
    expect(['db_secret', 'vault_pin', 'bearer', 'basic'].filter((n) => !fields.has(n))).toEqual([]);
    expect(redacted(fields, { accounts: [{ vault_pin: '1234' }] })).toEqual({
      accounts: [{ vault_pin: '[redacted]' }],
    });
  });

  it('learns the fields of an elicitation form marked as passwords', () => {
    const fields = new SensitiveFields();
    fields.learnFrom('elicitation/create', {
      message: 'Sign in',
      requestedSchema: {
        type: 'object',
        properties: { login: { type: 'string' }, Vault_Pass: { type: 'string', format: 'password' } },
      },
    });
    expect(fields.has('vault_pass')).toBe(true);
    expect(fields.has('login')).toBe(false);
    expect(redacted(fields, { action: 'accept', content: { login: 'ada', VAULT_PASS: 'x' } })).toEqual({
      action: 'accept',
      content: { login: 'ada', VAULT_PASS: '[redacted]' },
    });
  });

  it('learns nothing from other methods or from what is not a schema', () => {
    const fields = new SensitiveFields();
    const size = fields.size;
    fields.learnFrom('tools/call', toolList({ pin: { writeOnly: true } }));
    fields.learnFrom('prompts/list', { prompts: [{ inputSchema: { properties: { pin: { writeOnly: true } } } }] });
    fields.learnFrom('tools/list', undefined);
    fields.learnFrom('tools/list', { tools: 'nope' });
    fields.learnFrom('tools/list', { tools: [null, 1, { inputSchema: 'x' }, { inputSchema: { properties: [] } }] });
    fields.learnFrom('elicitation/create', null);
    fields.learnFrom(
      'tools/list',
      toolList({ pin: { writeOnly: 'yes' }, pw: { format: 'text' }, '': { writeOnly: true } }),
    );
    expect(fields.size).toBe(size);
  });

  it('hides the names a config adds, in any case, as names and not patterns', () => {
    const fields = new SensitiveFields(['X-Tenant-Key', 'a.b']);
    expect(redacted(fields, { 'x-tenant-key': 1, 'X-TENANT-KEY': 2, 'a.b': 3, axb: 4 })).toEqual({
      'x-tenant-key': '[redacted]',
      'X-TENANT-KEY': '[redacted]',
      'a.b': '[redacted]',
      axb: 4,
    });
  });

  it('learns at most a thousand names in all (a server cannot grow it without end)', () => {
    const fields = new SensitiveFields(['configured']);
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 2000; i++) properties[`field${i}`] = { type: 'string', writeOnly: true };
    fields.learnFrom('tools/list', toolList(properties));
    expect(fields.size).toBe(1000);
    expect(fields.has('field0')).toBe(true);
    expect(fields.has('field1999')).toBe(false);
    // Every marked name that found no room is counted (so the gateway can say so).
    expect(fields.refused).toBe(2000 - (1000 - new SensitiveFields(['configured']).size));
    // What was hidden before stays hidden.
    expect(redacted(fields, { password: 'p', configured: 'c', field0: 'f', field1999: 'g' })).toEqual({
      password: '[redacted]',
      configured: '[redacted]',
      field0: '[redacted]',
      field1999: 'g',
    });
  });

  it('keeps what servers marked when the configured names change', () => {
    const fields = new SensitiveFields(['old']);
    fields.learnFrom('tools/list', toolList({ pin: { type: 'string', writeOnly: true } }));
    const next = fields.withNames(['new']);
    expect(next.has('pin')).toBe(true);
    expect(next.has('new')).toBe(true);
    expect(next.has('old')).toBe(false);
    expect(next.has('password')).toBe(true);
  });
});
