import { describe, expect, it } from 'vitest';
import { peekResponseId } from '../../../main/shared/wire.ts';
import { idFromText } from '../../../main/shared/exact-numbers.ts';

describe('peekResponseId', () => {
  it('reads numeric ids of results and errors', () => {
    expect(peekResponseId('{"jsonrpc":"2.0","id":1,"result":{}}')).toBe(1);
    expect(peekResponseId('{"jsonrpc":"2.0","id":0,"result":{}}')).toBe(0);
    expect(peekResponseId('{"jsonrpc":"2.0","id":-7,"error":{"code":-1,"message":"x"}}')).toBe(-7);
    // Not a safe integer: kept as written, the same value the client's request was read as.
    expect(peekResponseId('{"jsonrpc":"2.0","id":1.5,"result":{}}')).toBe(idFromText('1.5'));
    expect(JSON.stringify(peekResponseId('{"jsonrpc":"2.0","id":1.50,"result":{}}'))).toBe('1.50');
    expect(JSON.stringify(peekResponseId('{"jsonrpc":"2.0","id":9007199254740993,"result":{}}'))).toBe(
      '9007199254740993',
    );
    expect(peekResponseId('{"jsonrpc":"2.0","id":2e3,"result":{}}')).toBe(2000);
  });

  it('reads string ids, including escapes', () => {
    expect(peekResponseId('{"jsonrpc":"2.0","id":"abc","result":{}}')).toBe('abc');
    expect(peekResponseId('{"jsonrpc":"2.0","id":"","result":{}}')).toBe('');
    expect(peekResponseId(String.raw`{"jsonrpc":"2.0","id":"a\"b","result":{}}`)).toBe('a"b');
    expect(peekResponseId(String.raw`{"jsonrpc":"2.0","id":"a\\","error":{}}`)).toBe('a\\');
    expect(peekResponseId(String.raw`{"jsonrpc":"2.0","id":"\u00e9\n","result":{}}`)).toBe('é\n');
    expect(peekResponseId(String.raw`{"jsonrpc":"2.0","id":"x\",\"result\"","method":"m"}`)).toBeUndefined();
    expect(peekResponseId('{"jsonrpc":"2.0","id":"日本","result":{}}')).toBe('日本');
    // Round trip through the serializer the engine uses.
    const id = 'we"ird\\id,"result":';
    expect(peekResponseId(JSON.stringify({ jsonrpc: '2.0', id, result: {} }))).toBe(id);
  });

  it('does not mistake requests or notifications for responses', () => {
    expect(peekResponseId('{"jsonrpc":"2.0","id":5,"method":"roots/list"}')).toBeUndefined();
    expect(peekResponseId('{"jsonrpc":"2.0","id":"5","method":"sampling/createMessage","params":{}}')).toBeUndefined();
    expect(peekResponseId('{"jsonrpc":"2.0","method":"notifications/message","params":{"result":1}}')).toBeUndefined();
  });

  it('rejects garbage and non-canonical shapes', () => {
    for (const line of [
      '',
      'not json',
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}',
      '{"id":1,"jsonrpc":"2.0","result":{}}',
      '{ "jsonrpc": "2.0", "id": 1, "result": {} }',
      '{"jsonrpc":"2.0","id":01,"result":{}}',
      '{"jsonrpc":"2.0","id":-,"result":{}}',
      '{"jsonrpc":"2.0","id":1',
      '{"jsonrpc":"2.0","id":"unterminated',
      '{"jsonrpc":"2.0","id":"a\\',
      '{"jsonrpc":"2.0","id":"a\nb","result":{}}',
      '{"jsonrpc":"2.0","id":true,"result":{}}',
      '{"jsonrpc":"2.0","id":{"x":1},"result":{}}',
      '{"jsonrpc":"2.0","id":1,"results":{}}',
      '{"jsonrpc":"2.0","id":"1","res":{}}',
      '[{"jsonrpc":"2.0","id":1,"result":{}}]',
    ]) {
      expect(peekResponseId(line), line).toBeUndefined();
    }
  });

  it('only reads the start of a huge line', () => {
    const big = '{"jsonrpc":"2.0","id":42,"result":{"data":"' + 'x'.repeat(16 * 1024 * 1024) + '"}}';
    expect(peekResponseId(big)).toBe(42);
    expect(peekResponseId(big.slice(0, 100))).toBe(42);
  });
});
