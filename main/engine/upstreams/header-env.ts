/**
 * Client headers as environment variables of an isolated stdio server (`headersToEnv`): the
 * process started for one client session gets that client's values, so one gateway can serve
 * several users' tokens to a server that reads them from its environment. Values are secrets as
 * far as the redactor is concerned (the gateway adds them while the process runs).
 */
import type { SessionContext } from './registry.ts';

/** The variables `mapping` (header name → variable) takes from the session's headers; absent headers set nothing. */
export function headerEnv(
  mapping: Readonly<Record<string, string>> | undefined,
  session: SessionContext | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (!mapping || !session?.headers) return env;
  for (const [header, variable] of Object.entries(mapping)) {
    const wanted = header.toLowerCase();
    // The first occurrence, as HTTP reads a header given twice for a single-valued field.
    const found = session.headers.find(([name]) => name.toLowerCase() === wanted);
    if (found && found[1] !== '') env[variable] = found[1];
  }
  return env;
}
