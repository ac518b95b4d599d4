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
