/**
 * What an HTML page says, in one line, for a message about a server that answered one where it
 * should have answered JSON: a handler (upstreams/handler/reply.ts), a remote MCP server
 * (upstreams/http-errors.ts), an OAuth server's metadata (oauth/session.ts).
 */

/** Whether a body is markup (an error page, a site's page), by its start. */
export function isHtml(body: string): boolean {
  return /^\s*</.test(body);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Text of an HTML fragment: tags out, the common entities read. */
function htmlText(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? whole;
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * An HTML page's title and what its body says, so "Fatal error: ..." or "502 Bad Gateway" shows,
 * and so does the message of a framework's error page whose title is only "Error" (Express) or
 * "Error response" (Python's http.server `send_error`).
 */
export function htmlGist(text: string): string {
  const title = htmlText(/<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1] ?? '');
  let body = htmlText(text.replace(/<head\b[\s\S]*?<\/head\s*>|<title[^>]*>[\s\S]*?<\/title>/gi, ' '));
  // The body's heading often repeats the title.
  if (title && body.startsWith(title)) body = body.slice(title.length).trim();
  const gist = (title && body ? `${title}: ${body}` : title || body).replace(/\s+/g, ' ').trim();
  return gist.length > 160 ? `${gist.slice(0, 157)}...` : gist;
}
