import { describe, expect, it } from 'vitest';
import { createRedactor, stripUrlCredentials } from '../../../../main/engine/secrets/redactor.ts';

describe('the redactor', () => {
  const secret = 'p@ss/w0rd+"quoted"';
  const redactor = createRedactor([
    { label: 'db-password', value: secret },
    { label: 'url-credentials', value: `ada:${secret}` },
  ]);

  it('replaces a value and its common encodings with its label', () => {
    for (const spelling of [
      secret,
      encodeURIComponent(secret),
      JSON.stringify(secret).slice(1, -1),
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
    ])
      expect(redactor.redact(`before ${spelling} after`)).toBe('before [redacted:db-password] after');
    expect(redactor.redact(`Authorization: Basic ${Buffer.from(`ada:${secret}`).toString('base64')}`)).toBe(
      'Authorization: Basic [redacted:url-credentials]',
    );
  });

  it('prefers the longer value when one contains another', () => {
    expect(redactor.redact(`ada:${secret}`)).toBe('[redacted:url-credentials]');
  });

  it('strips user:password from any URL, known or not', () => {
    expect(redactor.redact('postgres://app:hunter2@db.internal:5432/x and https://h/no')).toBe(
      'postgres://[redacted:url-credentials]@db.internal:5432/x and https://h/no',
    );
    expect(stripUrlCredentials('see https://u:p@ss@host/path?q=a@b')).toBe(
      'see https://[redacted:url-credentials]@host/path?q=a@b',
    );
    expect(stripUrlCredentials('mail ada@example.org')).toBe('mail ada@example.org');
  });

  it('leaves short values alone and forgets values when set again', () => {
    const r = createRedactor([{ label: 'pin', value: 'abc' }]);
    expect(r.redact('abc abc')).toBe('abc abc');
    r.set([{ label: 'token', value: 'tok-123456' }]);
    expect(r.redact('tok-123456')).toBe('[redacted:token]');
    r.set([]);
    expect(r.redact('tok-123456')).toBe('tok-123456');
  });

  it('redacts every string of a JSON value, keeping objects that did not change', () => {
    const unchanged = { a: 'nothing here' };
    const value = { list: [secret, 1, null], nested: { text: `x ${secret}` }, unchanged };
    const out = redactor.redactDeep(value);
    expect(out).toEqual({
      list: ['[redacted:db-password]', 1, null],
      nested: { text: 'x [redacted:db-password]' },
      unchanged,
    });
    expect(out.unchanged).toBe(unchanged);
    expect(value.list[0]).toBe(secret);
  });
});
