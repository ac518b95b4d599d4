import { describe, expect, it } from 'vitest';
import { MAX_RETIRED_VALUES, createRedactor, stripUrlCredentials } from '../../../../main/engine/secrets/redactor.ts';

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

  it('keeps hiding a value the set no longer has (a rotated token), the last 64 of them', () => {
    const r = createRedactor([{ label: 'gh-token', value: 'ghp_old_0001' }]);
    r.set([{ label: 'gh-token', value: 'ghp_new_0002' }]);
    expect(r.redact('ghp_old_0001 then ghp_new_0002')).toBe('[redacted:gh-token] then [redacted:gh-token]');
    // Set again, a value is current, not retired twice; retired ones beyond 64 are let go, oldest first.
    for (let i = 0; i < MAX_RETIRED_VALUES; i++) r.set([{ label: 'rotated', value: `value-${i}-xyz` }]);
    expect(r.redact('ghp_new_0002')).toBe('[redacted:gh-token]');
    expect(r.redact('ghp_old_0001')).toBe('ghp_old_0001');
    expect(r.redact('value-0-xyz value-63-xyz')).toBe('[redacted:rotated] [redacted:rotated]');
  });

  it('finds a value inside a longer base64 text wherever it starts, as in HTTP Basic credentials', () => {
    const token = 'CANARY-s3cr3t-VALUE-12345';
    const r = createRedactor([{ label: 'jira-token', value: token }]);
    /** Whether 4 bytes in a row of the token can be decoded from a run of base64 left in the text. */
    const decodable = (text: string) =>
      (text.match(/[A-Za-z0-9+/_-]{4,}/g) ?? []).some((run) =>
        [0, 1, 2, 3].some((start) => {
          const decoded = Buffer.from(run.slice(start), 'base64').toString('latin1');
          return [...token].some((_, i) => i + 4 <= token.length && decoded.includes(token.slice(i, i + 4)));
        }),
      );
    expect(decodable(Buffer.from(`jira@corp.io:${token}`).toString('base64'))).toBe(true);
    // Each start in a group of three bytes, with the value at the end or followed by more.
    for (const before of ['', 'a:', 'ab:', 'jira@corp.io:', 'jira@corp.io:x'])
      for (const after of ['', '\n', ':2fa'])
        for (const encoding of ['base64', 'base64url'] as const) {
          const text = `Authorization: Basic ${Buffer.from(`${before}${token}${after}`).toString(encoding)}`;
          const redacted = r.redact(text);
          expect(redacted, `${JSON.stringify(before + '…' + after)} ${encoding}`).toContain('[redacted:jira-token]');
          expect(decodable(redacted), redacted).toBe(false);
        }
  });

  it('does not look for a short value inside base64: a few characters of it are in unrelated text', () => {
    // Base64 of a zero byte and "Q1jjey" is "AFExampleQ==": one byte into a group, this value reads "Example".
    const r = createRedactor([{ label: 'pin', value: 'Q1jjey' }]);
    expect(r.redact('For Example, a form')).toBe('For Example, a form');
    expect(r.redact(`pin ${Buffer.from('Q1jjey').toString('base64')}`)).toBe('pin [redacted:pin]');
  });

  it('also as a form field, in lowercase percent-encoding, as PHP escapes JSON, and a key line by line', () => {
    const value = 'tok~en/with+stuff ok';
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    const more = createRedactor([
      { label: 'tok', value },
      { label: 'key', value: pem },
    ]);
    for (const spelling of [
      new URLSearchParams({ t: value }).toString().slice(2),
      encodeURIComponent(value).toLowerCase(),
      JSON.stringify(value).slice(1, -1).replace(/\//g, '\\/'),
    ])
      expect(more.redact(`[${spelling}]`), spelling).toBe('[[redacted:tok]]');
    // A log is redacted a line at a time: each line of the key is caught on its own.
    for (const line of pem.split('\n')) expect(more.redact(line), line).toBe('[redacted:key]');
  });

  it('prefers the longer value when one contains another', () => {
    expect(redactor.redact(`ada:${secret}`)).toBe('[redacted:url-credentials]');
  });

  it('hides a value of any length: a 40 000-character one, and one of 4 MB, in every spelling', () => {
    // V8 refuses a pattern with such an alternative, at its first use, quoting every secret in it.
    for (const length of [40_000, 4_000_000]) {
      const value = `k${'0123456789abcdef+/'.repeat(Math.ceil(length / 18))}`.slice(0, length);
      const r = createRedactor([
        { label: 'big', value },
        { label: 'short', value: 'other-secret' },
      ]);
      for (const spelling of [value, encodeURIComponent(value), Buffer.from(value).toString('base64')])
        expect(r.redact(`a ${spelling} b other-secret c`)).toBe('a [redacted:big] b [redacted:short] c');
    }
  });

  it('a long value and a short one that begins like it: each where it stands', () => {
    const short = 'start-of-it-7777';
    const long = `${short}${'x'.repeat(5000)}`;
    const r = createRedactor([
      { label: 'long', value: long },
      { label: 'short', value: short },
    ]);
    expect(r.redact(`1 ${long} 2 ${short}${'x'.repeat(3000)} 3`)).toBe(
      `1 [redacted:long] 2 [redacted:short]${'x'.repeat(3000)} 3`,
    );
    expect(r.redact(`${long.slice(0, 2000)}`)).toBe(`[redacted:short]${'x'.repeat(2000 - short.length)}`);
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

  it('leaves short values alone', () => {
    const r = createRedactor([{ label: 'pin', value: 'abc' }]);
    expect(r.redact('abc abc')).toBe('abc abc');
    r.set([{ label: 'token', value: 'tok-123456' }]);
    expect(r.redact('tok-123456 abc')).toBe('[redacted:token] abc');
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

  describe('dropPartialAtEnd (a text cut short, already redacted)', () => {
    const canary = 'sk-CANARY-7f3a9e2b1c';
    const cut = createRedactor([{ label: 'api', value: canary }]);

    it('drops the start of a known value left at the very end, from two characters on', () => {
      for (let k = 2; k < canary.length; k++)
        expect(cut.dropPartialAtEnd(`{"text":"key ${canary.slice(0, k)}`), `${k} chars`).toBe('{"text":"key ');
      // One character tells nothing, and is kept.
      expect(cut.dropPartialAtEnd('key s')).toBe('key s');
      // The start of another spelling of it (URL-encoded, base64) too.
      const encoded = Buffer.from(canary).toString('base64');
      expect(cut.dropPartialAtEnd(`auth=${encoded.slice(0, 10)}`)).toBe('auth=');
    });

    it('drops the user:password part of a URL cut before its @, known or not', () => {
      const none = createRedactor([]);
      expect(none.dropPartialAtEnd('connect to postgres://app:hunt')).toBe('connect to postgres://');
      expect(none.dropPartialAtEnd('"url":"https://ada')).toBe('"url":"https://');
      expect(none.dropPartialAtEnd('x HTTPS://Ada:Pw')).toBe('x HTTPS://');
    });

    it('leaves a text with nothing cut at its end as it is', () => {
      const r = createRedactor([{ label: 'api', value: canary }]);
      for (const text of [
        '',
        'nothing here',
        'key [redacted:api]',
        'see https://host/path and more',
        'postgres://[redacted:url-credentials]@db:5432/x',
        'ends with a scheme https://',
        'a word_x://y is no URL',
        `whole ${canary} (redact's job)`,
      ])
        expect(r.dropPartialAtEnd(text), text).toBe(text);
    });

    it('reads URLs as the plain scheme-first patterns do', () => {
      // The patterns as first written (quadratic on some texts, fine on short ones): the spec.
      const whole = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>\\]*@/gi;
      const partial = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>\\@]*$/i;
      const parts = ['a', 'Z', '1', '_', '.', '-', '+', ':', '/', '@', ' ', '"', '://', 'http://', 'u:p@', 'é'];
      let seed = 42;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const none = createRedactor([]);
      for (let n = 0; n < 5000; n++) {
        let text = '';
        for (let i = Math.floor(next() * 12); i >= 0; i--) text += parts[Math.floor(next() * parts.length)];
        const stripped = text.replace(whole, '$1[redacted:url-credentials]@');
        expect(stripUrlCredentials(text), text).toBe(stripped);
        const cutAt = partial.exec(text);
        expect(none.dropPartialAtEnd(text), text).toBe(cutAt ? text.slice(0, cutAt.index + cutAt[1]!.length) : text);
      }
    });

    it('takes time in proportion to the text, whatever it holds', () => {
      // Runs of scheme characters broken by word boundaries made a backtracking scan quadratic:
      // seconds for one 64 KiB payload, on the gateway's event loop (well under a millisecond now).
      for (const unit of ['a.', 'a-b.c+', 'x://a.b']) {
        const text = unit.repeat(Math.ceil(65_536 / unit.length)).slice(0, 65_536);
        const t0 = performance.now();
        cut.dropPartialAtEnd(text);
        redactor.redact(`${text}@`);
        stripUrlCredentials(`${text}@`);
        expect(performance.now() - t0, JSON.stringify(unit)).toBeLessThan(250);
      }
    });
  });
});
