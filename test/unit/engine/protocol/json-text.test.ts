import { describe, expect, it } from 'vitest';
import { encodeLine } from '../../../../main/engine/protocol/framing.ts';
import {
  jsonTextOf,
  messageJson,
  recordedJsonTextOf,
  rememberSentResults,
  withJsonText,
} from '../../../../main/engine/protocol/json-text.ts';
import { success } from '../../../../main/engine/protocol/jsonrpc.ts';

const tools = Array.from({ length: 3 }, (_, i) => ({
  name: `t${i}`,
  description: 'Says "hi" — ünïcødé\n',
  inputSchema: { type: 'object' },
}));

describe('results serialised once', () => {
  it('a response with a remembered result is written as the same bytes JSON.stringify makes', () => {
    const result = withJsonText({ tools });
    for (const id of [7, 'a"b', 0]) {
      const message = success(id, result);
      expect(messageJson(message)).toBe(JSON.stringify(message));
      expect(encodeLine(message)).toBe(`${JSON.stringify(message)}\n`);
    }
  });

  it('uses the remembered text, not the value as it is now', () => {
    const inner = { n: 1 };
    const result = withJsonText({ inner });
    inner.n = 2; // only the result itself is frozen; the text is what was remembered
    expect(messageJson(success(1, result))).toBe('{"jsonrpc":"2.0","id":1,"result":{"inner":{"n":1}}}');
    expect(jsonTextOf(result)).toBe('{"inner":{"n":1}}');
  });

  it('freezes the result, so nothing can change it behind its text', () => {
    const result = withJsonText({ tools });
    expect(() => {
      (result as Record<string, unknown>).extra = 1;
    }).toThrow(TypeError);
  });

  it('anything else is serialised as usual: other results, extra keys, errors, notifications', () => {
    const result = withJsonText({ tools });
    const extra = { ...success(1, result), extra: true };
    expect(messageJson(extra)).toBe(JSON.stringify(extra));
    expect(messageJson(success(2, { ok: true }))).toBe('{"jsonrpc":"2.0","id":2,"result":{"ok":true}}');
    const err = { jsonrpc: '2.0', id: 3, error: { code: -1, message: 'no' } };
    expect(messageJson(err)).toBe(JSON.stringify(err));
    expect(messageJson({ jsonrpc: '2.0', method: 'x' })).toBe('{"jsonrpc":"2.0","method":"x"}');
    expect(jsonTextOf({ tools })).toBeUndefined();
    expect(jsonTextOf(null)).toBeUndefined();
  });

  it('a large result is remembered as it was sent, for the record only: a changed result is sent as it is now', () => {
    rememberSentResults(false);
    const unread = { content: [{ type: 'text', text: 'y'.repeat(100_000) }] };
    messageJson(success(4, unread));
    expect(recordedJsonTextOf(unread)).toBeUndefined();
    rememberSentResults(true);
    const result = { content: [{ type: 'text', text: 'x'.repeat(100_000) + '"ü' }] };
    const sent = messageJson(success(5, result));
    expect(sent).toBe(JSON.stringify(success(5, result)));
    expect(recordedJsonTextOf(result)).toBe(JSON.stringify(result));
    result.content[0]!.text = 'changed';
    expect(messageJson(success(6, result))).toBe(
      '{"jsonrpc":"2.0","id":6,"result":{"content":[{"type":"text","text":"changed"}]}}',
    );
    expect(jsonTextOf(result)).toBeUndefined();
    // Small results are not worth remembering; made ones are found too.
    const small = { ok: true };
    messageJson(success(7, small));
    expect(recordedJsonTextOf(small)).toBeUndefined();
    expect(recordedJsonTextOf(withJsonText({ tools }))).toBe(JSON.stringify({ tools }));
  });
});
