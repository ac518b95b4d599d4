/**
 * Where a person may be sent: the login page an authorization server names, the page an
 * elicitation asks the user to open. https anywhere; plain http only on this machine (a local
 * development server). Never javascript:, file:, data: or a custom scheme that starts a program,
 * and never a URL with a user name or password in it: `https://bank.example@evil.example/` reads
 * as the bank's at a glance.
 */
import { classifyAddress } from './policy.ts';

/** `localhost`, or a loopback address in any spelling (127/8, ::1, IPv4-mapped, in brackets or not). */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || classifyAddress(host) === 'loopback';
}

/** The rule, for messages: "… are opened", "… are shown". */
export const USER_URL_RULE = 'only https links (or http on this machine) without a user name or password';

/** What `url` is, as "a … URL", when it must not be opened or shown as a link; undefined when it may be. */
export function userUrlRefusal(url: URL): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `a ${url.protocol} URL`;
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return `a plain http:// URL to ${url.hostname}`;
  if (url.username !== '' || url.password !== '') return 'a URL with a user name or password in it';
  return undefined;
}
