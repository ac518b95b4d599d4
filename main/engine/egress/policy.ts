/**
 * Where a configured remote URL (a remote MCP server, a JSON handler over HTTP) may connect.
 * Link-local and cloud-metadata addresses: never (a URL pointing there is how a config, a
 * redirect or a DNS answer steals cloud credentials). Private ranges, and plain http:// to
 * anything but loopback: only for a server entry with `"allowPrivateNetwork": true`. Loopback:
 * always (local development servers). Decided on the address actually dialled, after DNS, so
 * every spelling of an address (decimal, octal, hex, IPv4-mapped IPv6) and every DNS answer is
 * judged the same. Pure functions; egress/connector.ts applies them at dial time.
 */
import { isIP, isIPv4 } from 'node:net';

export type AddressClass = 'loopback' | 'link-local' | 'metadata' | 'private' | 'public';

export interface EgressRule {
  /** The server entry opted in to private ranges and plain http:// beyond loopback. */
  allowPrivateNetwork: boolean;
  /**
   * False for the hops of a redirect that began at another machine, and for the OAuth addresses a
   * server on another machine names: a remote server must not send the gateway to services on this
   * one (its own listener, a local database's HTTP port). Default true.
   */
  loopback?: boolean;
}

/** Names of cloud metadata services (GCP, AWS, Azure, Alibaba): refused before any DNS lookup. */
const METADATA_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.aliyun.internal',
]);

/** Metadata endpoints outside the link-local range (AWS IPv6, Alibaba, Oracle). */
const METADATA_ADDRESSES = new Set(['fd00:ec2:0:0:0:0:0:254', '100.100.100.200', '192.0.0.192']);

type V4Range = [base: number, bits: number];
const v4 = (text: string, bits: number): V4Range => [v4Number(text), bits];

const V4_LINK_LOCAL: V4Range[] = [v4('169.254.0.0', 16)];
const V4_LOOPBACK: V4Range[] = [v4('127.0.0.0', 8)];
const V4_PRIVATE: V4Range[] = [
  v4('10.0.0.0', 8),
  v4('172.16.0.0', 12),
  v4('192.168.0.0', 16),
  v4('100.64.0.0', 10), // carrier-grade NAT
  v4('0.0.0.0', 8), // "this host": dialling 0.0.0.0 reaches local services
  v4('198.18.0.0', 15), // benchmarking
  v4('224.0.0.0', 4), // multicast
  v4('240.0.0.0', 4), // reserved, broadcast
];

/** Which kind of address this is (an IPv4 or IPv6 literal; anything else is 'public'). */
export function classifyAddress(address: string): AddressClass {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(bare)) return classifyV4(v4Number(bare));
  if (isIP(bare) !== 6) return 'public';
  const words = v6Words(bare);
  if (!words) return 'public';
  const text = words.map((w) => w.toString(16)).join(':');
  if (METADATA_ADDRESSES.has(text)) return 'metadata';
  const embedded = embeddedV4(words);
  if (embedded !== undefined) return classifyV4(embedded);
  const [first = 0] = words;
  if (words.every((w, i) => (i === 7 ? w === 1 : w === 0))) return 'loopback';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if (words.every((w) => w === 0)) return 'private'; // "::", like 0.0.0.0
  if ((first & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((first & 0xffc0) === 0xfec0) return 'private'; // old site-local
  if ((first & 0xff00) === 0xff00) return 'private'; // multicast
  return 'public';
}

function classifyV4(n: number): AddressClass {
  if (METADATA_ADDRESSES.has(v4Text(n))) return 'metadata';
  if (inRanges(n, V4_LINK_LOCAL)) return n === v4Number('169.254.169.254') ? 'metadata' : 'link-local';
  if (inRanges(n, V4_LOOPBACK)) return 'loopback';
  if (inRanges(n, V4_PRIVATE)) return 'private';
  return 'public';
}

/** Whether a host name (not an address) is a cloud metadata service's. */
export function isMetadataHostname(host: string): boolean {
  return METADATA_HOSTNAMES.has(host.toLowerCase().replace(/\.$/, ''));
}

/**
 * Why a connection to `address` (as dialled, after DNS) is refused, or undefined when it may go
 * ahead. `host` is what the URL said, for the message.
 */
export function refusal(address: string, host: string, protocol: string, rule: EgressRule): string | undefined {
  const kind = classifyAddress(address);
  const v4 = embeddedIPv4(address);
  const shown = v4 === undefined ? address : `${address} (${v4})`;
  const where = host === address || `[${address}]` === host ? shown : `${host} (${shown})`;
  if (kind === 'metadata')
    return `${where} is a cloud metadata address, where a server's credentials can be read: never allowed`;
  if (kind === 'link-local') return `${where} is a link-local address (cloud metadata lives there): never allowed`;
  if (kind === 'loopback' && rule.loopback === false)
    return `${where} is this machine, where a server on another host may not send the gateway`;
  if (kind === 'loopback' || rule.allowPrivateNetwork) return undefined;
  if (kind === 'private')
    return `${where} is a private network address; ${OPT_IN} if it is meant to reach your own network`;
  if (protocol === 'http:')
    return (
      `plain http:// to ${where} sends every request (and its credentials) unencrypted; use https://, ` +
      `or ${OPT_IN} if it is on a network you trust`
    );
  return undefined;
}

const OPT_IN = 'set "allowPrivateNetwork": true on this server';

/**
 * What can be told from a host alone, before any DNS: a literal address or a metadata host name
 * that the policy refuses. Undefined for other host names (judged when they are dialled).
 * `protocol` is http: or https: (ws: and wss: are judged as those).
 */
export function hostRefusal(hostname: string, protocol: string, rule: EgressRule): string | undefined {
  if (isMetadataHostname(hostname)) return `${hostname} is a cloud metadata service: never allowed`;
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(bare) === 0) return undefined;
  return refusal(bare, hostname, protocol, rule);
}

/** hostRefusal for a URL (undefined for one that does not parse). */
export function urlRefusal(text: string, rule: EgressRule): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  return hostRefusal(url.hostname, url.protocol, rule);
}

/** The IPv4 address an IPv6 one carries (IPv4-mapped, NAT64, 6to4...), dotted; undefined otherwise. */
export function embeddedIPv4(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIP(bare) !== 6) return undefined;
  const words = v6Words(bare);
  const n = words ? embeddedV4(words) : undefined;
  return n === undefined ? undefined : v4Text(n);
}

// ---- address arithmetic ----

function v4Number(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function v4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function inRanges(n: number, ranges: V4Range[]): boolean {
  return ranges.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

/** The eight 16-bit words of an IPv6 address (with a dotted IPv4 tail, or a zone id, allowed). */
function v6Words(text: string): number[] | undefined {
  let address = text.split('%')[0]!.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    const n = v4Number(dotted[1]!);
    address = `${address.slice(0, -dotted[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const words = [...head, ...Array<string>(missing).fill('0'), ...tail].map((w) => parseInt(w, 16));
  return words.length === 8 && words.every((w) => w >= 0 && w <= 0xffff) ? words : undefined;
}

/**
 * The IPv4 address inside an IPv6 one that carries it: IPv4-mapped (::ffff:a.b.c.d), the old
 * IPv4-compatible form (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
 */
function embeddedV4(words: number[]): number | undefined {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = words;
  const low = w6 * 0x10000 + w7;
  const zeroTo4 = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0;
  if (zeroTo4 && w5 === 0xffff) return low;
  if (zeroTo4 && w5 === 0 && w6 !== 0) return low; // ::a.b.c.d, but not :: or ::1
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) return low;
  if (w0 === 0x2002) return w1 * 0x10000 + w2;
  return undefined;
}
