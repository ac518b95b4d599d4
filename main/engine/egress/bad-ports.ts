/**
 * The ports fetch never connects to (the Fetch standard's "bad ports": mail, X11, IRC, SIP and other
 * services a web request must not reach). Remote MCP servers are reached with fetch (undici's), which
 * refuses them with a bare "bad port" and no error code, so they are named here to say so up front.
 * The list is the standard's: https://fetch.spec.whatwg.org/#bad-port
 */
const BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** Why fetch will not connect to an http(s) URL's port; undefined when it will. */
export function fetchPortRefusal(url: URL): string | undefined {
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !BAD_PORTS.has(Number(url.port))) return undefined;
  return (
    `port ${url.port} is one that web requests never connect to (the Fetch standard's "bad ports", kept for mail, ` +
    'X11, IRC, SIP and other services that are not the web): serve the server on another port'
  );
}
