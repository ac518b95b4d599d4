/** Plain-text rendering for the terminal. */

import { showUnseen, showUnseenInLines } from '../../preload/contract/unseen.ts';

/**
 * Text a client or server chose (a method, a name, an error), safe to print: what could move the
 * cursor, recolour or hide the rest of the line shows as a `\uXXXX` escape instead.
 */
export function printable(text: string): string {
  return showUnseen(text);
}

/**
 * Text of several lines a server chose (a tool's result, an error), safe to print as `printable`
 * makes one line: a line break (`\n`, `\r\n`) and a tab are kept. JSON text stays valid and means
 * the same: JSON.stringify escapes C0 controls but leaves DEL, C1 controls (U+009B starts a sequence
 * in some terminals) and bidi controls raw, and these can occur only inside its strings, where
 * `\uXXXX` is the same character.
 */
export function printableLines(text: string): string {
  return showUnseenInLines(text);
}

export function table(header: string[] | null, rows: string[][]): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return (
    all
      .map((row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** A tool result as a person wants to read it: text as text, other blocks summarised. */
export function formatToolResult(result: Record<string, unknown>): string {
  const out: string[] = [];
  if (result.isError === true) out.push('Tool reported an error:');
  for (const block of (result.content as Record<string, unknown>[] | undefined) ?? []) {
    switch (block.type) {
      case 'text':
        out.push(String(block.text));
        break;
      case 'image':
      case 'audio':
        out.push(`[${block.type} ${String(block.mimeType)}, ${Math.floor((String(block.data).length * 3) / 4)} bytes]`);
        break;
      case 'resource_link':
        out.push(`[link ${String(block.uri)}${block.name ? ` (${String(block.name)})` : ''}]`);
        break;
      case 'resource': {
        const r = block.resource as Record<string, unknown>;
        out.push(
          typeof r.text === 'string' ? `[resource ${String(r.uri)}]\n${r.text}` : `[resource ${String(r.uri)}, binary]`,
        );
        break;
      }
      default:
        out.push(JSON.stringify(block));
    }
  }
  if (result.structuredContent !== undefined)
    out.push(`structuredContent:\n${JSON.stringify(result.structuredContent, null, 2)}`);
  return out.join('\n') + '\n';
}
