/** The words for a JSON syntax error, shared by the config loader and the UI's pasted block. */
import { printParseErrorCode, parse, type ParseError } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { syntaxMessage } from '../../../preload/contract/index.ts';
import { parseJsonc } from '../../../main/engine/config/jsonc.ts';

/** What the contract says of the first error jsonc-parser finds in `text`. */
function said(text: string): string {
  const errors: ParseError[] = [];
  parse(text, errors, { allowTrailingComma: true });
  const first = errors[0]!;
  return syntaxMessage(printParseErrorCode(first.error), text[first.offset]);
}

describe('syntaxMessage', () => {
  it('says a parser code in words, with a hint for single quotes and bare names', () => {
    expect(said('{"a": 1')).toBe('expected "}"');
    expect(said("{'a': 1}")).toBe(`unexpected character (JSON takes double quotes: "name", not 'name')`);
    expect(said('{a: 1}')).toBe('unexpected character (property names and text values take double quotes)');
    // A Windows path as typed, in a server's arguments.
    expect(said('{"args": ["C:\\Users\\me"]}')).toBe(
      'invalid escape character (a backslash is written twice in JSON: "C:\\\\Users\\\\me", or use "/": "C:/Users/me")',
    );
    expect(syntaxMessage('SomethingNew', undefined)).toBe('SomethingNew');
  });

  it('is what the config loader says', () => {
    const parsed = parseJsonc("{'a': 1}");
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues[0]!.message).toBe(`syntax error: ${said("{'a': 1}")}`);
  });
});
