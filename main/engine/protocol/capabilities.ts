/**
 * Which client capability each server-to-client request needs. Both the router (stateful
 * clients) and the stateless listener (per-request capabilities) decide by it. And which of the
 * gateway's own capabilities a client of each revision is told of.
 */

const SERVER_TO_CLIENT_CAPABILITY: Record<string, string> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/** The capability a server-to-client request needs from the client. */
export function requiredCapability(method: string): string | undefined {
  return SERVER_TO_CLIENT_CAPABILITY[method];
}

/**
 * What a client that declared `capabilities` lacks to be asked this request: the capability
 * (`elicitation`), or the part of it (`elicitation.url`, `elicitation.form`, `sampling.tools`).
 * Undefined when it can be asked. An empty elicitation capability means form mode only (2025-11-25).
 */
export function missingCapability(
  capabilities: Record<string, unknown>,
  method: string,
  params: Record<string, unknown>,
): string | undefined {
  const capability = requiredCapability(method);
  if (capability === undefined) return undefined;
  if (!Object.hasOwn(capabilities, capability) || capabilities[capability] === undefined) return capability;
  const declared = capabilities[capability];
  const parts = declared !== null && typeof declared === 'object' ? (declared as Record<string, unknown>) : {};
  if (method === 'elicitation/create') {
    const mode = params.mode === 'url' ? 'url' : 'form';
    const supports = mode === 'form' ? Object.keys(parts).length === 0 || 'form' in parts : 'url' in parts;
    if (!supports) return `elicitation.${mode}`;
  }
  // Tools offered, or a choice among them asked for (as the SDK checks before sending either).
  const usesTools = params.tools !== undefined || params.toolChoice !== undefined;
  if (method === 'sampling/createMessage' && usesTools && !('tools' in parts)) return 'sampling.tools';
  return undefined;
}

/** The revision each server capability a profile may offer came in: a client of an earlier one is not told of it. */
const SERVER_CAPABILITY_SINCE: Readonly<Record<string, string>> = { completions: '2025-03-26', tasks: '2025-11-25' };
/**
 * The revision a server capability left the core in: a client of it or a later one is not told of it.
 * 2026-07-28 moved tasks to an extension (`io.modelcontextprotocol/tasks`), which the gateway does
 * not serve its clients (their tasks/* are answered "Method not found").
 */
const SERVER_CAPABILITY_UNTIL: Readonly<Record<string, string>> = { tasks: '2026-07-28' };

/** A profile's capabilities as a client of `revision` knows them: those its revision has no word for left out. */
export function capabilitiesFor(capabilities: Record<string, unknown>, revision: string): Record<string, unknown> {
  const unknown = Object.keys(capabilities).filter((key) => {
    const since = SERVER_CAPABILITY_SINCE[key];
    const until = SERVER_CAPABILITY_UNTIL[key];
    return (since !== undefined && revision < since) || (until !== undefined && revision >= until);
  });
  if (unknown.length === 0) return capabilities;
  const out = { ...capabilities };
  for (const key of unknown) delete out[key];
  return out;
}
