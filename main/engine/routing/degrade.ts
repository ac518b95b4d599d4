/**
 * Makes a result (a tool's, a prompt's) readable for a client on an older revision: what its
 * revision cannot express is rendered as text, so nothing is silently lost.
 *  - structuredContent (2025-06-18) also as a text block, unless a text block already carries it;
 *  - resource_link blocks (2025-06-18) as text;
 *  - audio blocks (2025-03-26) as a text note.
 */
type Block = Record<string, unknown> & { type?: string };

export function degradeToolResult(
  result: Record<string, unknown>,
  clientVersion: string | undefined,
): Record<string, unknown> {
  if (clientVersion === undefined || clientVersion >= '2025-06-18') return result;
  const content = Array.isArray(result.content) ? (result.content as Block[]) : [];
  let changed = false;
  const out: Block[] = content.map((block) => {
    const shown = degradeBlock(block, clientVersion);
    if (shown !== block) changed = true;
    return shown;
  });
  if (result.structuredContent !== undefined) {
    const json = JSON.stringify(result.structuredContent);
    const alreadyThere = out.some(
      (b) => b.type === 'text' && typeof b.text === 'string' && safeEquals(b.text, result.structuredContent),
    );
    if (!alreadyThere) {
      out.push({ type: 'text', text: json });
      changed = true;
    }
  }
  return changed ? { ...result, content: out } : result;
}

/** A prompts/get result: each message's content block as degradeToolResult renders a tool's. */
export function degradePromptResult(
  result: Record<string, unknown>,
  clientVersion: string | undefined,
): Record<string, unknown> {
  if (clientVersion === undefined || clientVersion >= '2025-06-18' || !Array.isArray(result.messages)) return result;
  let changed = false;
  const messages = (result.messages as unknown[]).map((message) => {
    if (typeof message !== 'object' || message === null) return message;
    const content = (message as { content?: unknown }).content;
    if (typeof content !== 'object' || content === null || Array.isArray(content)) return message;
    const shown = degradeBlock(content as Block, clientVersion);
    if (shown === content) return message;
    changed = true;
    return { ...message, content: shown };
  });
  return changed ? { ...result, messages } : result;
}

/** The block as a client of `clientVersion` (older than 2025-06-18) can read it; the same object when it can. */
function degradeBlock(block: Block, clientVersion: string): Block {
  if (block.type === 'resource_link') {
    const label =
      typeof block.title === 'string' ? block.title : typeof block.name === 'string' ? block.name : 'resource';
    return { type: 'text', text: `[${label}](${String(block.uri)})` };
  }
  if (block.type === 'audio' && clientVersion < '2025-03-26')
    return { type: 'text', text: `[audio ${String(block.mimeType)}: not shown, this client predates audio content]` };
  return block;
}

function safeEquals(text: string, value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  } catch {
    return false;
  }
}
