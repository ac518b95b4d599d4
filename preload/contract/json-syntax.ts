/**
 * What a JSON syntax error means, in words: jsonc-parser's error codes (printParseErrorCode) as the
 * config loader says them, with a hint for what people write that JSON does not take. Shared by the
 * engine (config files, client configs) and the UI (a pasted block), which parse with jsonc-parser.
 */

/** jsonc-parser's error codes in words. */
export const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected ","',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the end of the document',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'incomplete number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string (control characters must be escaped)',
};

/** What people mean when they write what JSON does not take (`at`: the character the error is at). */
export function syntaxHint(code: string, at: string | undefined): string {
  if (code === 'InvalidSymbol' && at === "'") return ' (JSON takes double quotes: "name", not \'name\')';
  if (code === 'InvalidSymbol' && at !== undefined && /[A-Za-z_$]/.test(at))
    return ' (property names and text values take double quotes)';
  if (code === 'UnexpectedEndOfString') return ' (a string ends on its own line: write a line break as \\n)';
  // A Windows path as typed: C:\Users\me.
  if (code === 'InvalidEscapeCharacter')
    return ' (a backslash is written twice in JSON: "C:\\\\Users\\\\me", or use "/": "C:/Users/me")';
  return '';
}

/** A syntax error in words, with its hint: `unexpected character (JSON takes double quotes: …)`. */
export function syntaxMessage(code: string, at: string | undefined): string {
  return `${SYNTAX_MESSAGES[code] ?? code}${syntaxHint(code, at)}`;
}
