import { describe, expect, it } from 'vitest';
import { idFromText, idText, isExactNumber, withExactIds } from '../../../main/shared/exact-numbers.ts';

const parsed = (text: string) => withExactIds(text, JSON.parse(text));

describe('withExactIds', () => {
  it('keeps a message as parsed when its id is a safe integer or a string', () => {
    for (const text of ['{"jsonrpc":"2.0","id":7,"method":"ping"}', '{"id":"9007199254740993","method":"ping"}']) {
      const value: unknown = JSON.parse(text);
      expect(withExactIds(text, value)).toBe(value);
    }
  });

  it('writes back the id text JSON.parse would change, the rest of the message as it was', () => {
    for (const id of ['9007199254740993', '-12345678901234567890', '1.50', '1e21', '1E+21']) {
      const text = `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"id":12345678901234567890}}`;
      const m = parsed(text) as { id: unknown; params: { id: unknown } };
      expect(isExactNumber(m.id)).toBe(true);
      // Only the message's own id: a number in its params is left to JSON.parse.
      expect(m.params.id).toBe(Number('12345678901234567890'));
      expect(JSON.stringify(m)).toBe(text.replace('"id":12345678901234567890}', '"id":12345678901234567000}'));
    }
  });

  it('reads the id however the key is written, the last one when it is given twice', () => {
    const m = parsed('{"id":1,"\\u0069d":12345678901234567890,"method":"ping"}') as { id: unknown };
    expect(idText(m.id as never)).toBe('12345678901234567890');
  });

  it("in a batch, each message's id; a cancellation's requestId is the same value as the id it names", () => {
    const batch = parsed(
      '[{"id":9007199254740993,"method":"a"},{"id":2,"method":"b"},' +
        '{"method":"notifications/cancelled","params":{"requestId":9007199254740993}}]',
    ) as [{ id: unknown }, { id: unknown }, { params: { requestId: unknown } }];
    expect(JSON.stringify(batch[0].id)).toBe('9007199254740993');
    expect(batch[1].id).toBe(2);
    // The same value, so a map of requests in flight finds the one cancelled.
    expect(batch[2].params.requestId).toBe(batch[0].id);
  });

  it("keeps a request's progress token as written, and gives the same text the same value", () => {
    const text = '{"id":1,"method":"tools/call","params":{"_meta":{"progressToken":9007199254740993}}}';
    const m = parsed(text) as { id: unknown; params: { _meta: { progressToken: unknown } } };
    expect(m.id).toBe(1);
    expect(JSON.stringify(m)).toBe(text);
    // The same value from another message, so maps keyed by it (requests in flight, progress) find it.
    expect((parsed(text) as typeof m).params._meta.progressToken).toBe(m.params._meta.progressToken);
    expect(idFromText('9007199254740993')).toBe(m.params._meta.progressToken);
  });
});

describe('idFromText', () => {
  it('parses an id, keeping a number JSON.parse would change as written', () => {
    expect(idFromText('"a"')).toBe('a');
    expect(idFromText('42')).toBe(42);
    expect(JSON.stringify({ id: idFromText('9007199254740993') })).toBe('{"id":9007199254740993}');
  });
});
