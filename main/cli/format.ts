/** Plain-text rendering for the terminal. */

/** Control characters (escape sequences, a carriage return) and bidi overrides that could rewrite a terminal line. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text a client or server chose (a method, a name, an error), safe to print: what could move the
 * cursor, recolour or hide the rest of the line shows as a `\uXXXX` escape instead.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
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
