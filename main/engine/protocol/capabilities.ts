/**
 * Which client capability each server-to-client request needs. Both the router (stateful
 * clients) and the stateless listener (per-request capabilities) decide by it.
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
