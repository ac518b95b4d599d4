/**
 * The egress policy (policy.ts) at dial time: an undici connector that judges the address a
 * connection is about to use: a literal one before dialling, a host name's DNS answers inside the
 * `lookup` that net/tls.connect call, so what is checked is exactly what is dialled (no second
 * lookup a DNS server could answer differently). Every new connection goes through it, the
 * ones a redirect opens included.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import type { buildConnector } from 'undici';
import { hostRefusal, refusal, type EgressRule } from './policy.ts';
import { trustSystemCertificates } from './system-ca.ts';
import { loadUndici } from './undici.ts';

/** The error code of a refused connection (describeNetworkFailure words it). */
export const EGRESS_REFUSED = 'ERR_EGRESS_REFUSED';

export class EgressError extends Error {
  readonly code = EGRESS_REFUSED;
  constructor(message: string) {
    super(message);
    this.name = 'EgressError';
  }
}

export interface EgressOptions extends EgressRule {
  /**
   * Resolves host names. Default: the system resolver (dns.lookup). Tests give one that answers
   * what a hostile DNS server would; it runs in the same place, so the same check applies.
   */
  lookup?: LookupFunction;
}

type ConnectOptions = buildConnector.BuildOptions;

/** A connector for undici (Pool, Agent) that refuses what the policy refuses. */
export async function egressConnector(
  options: EgressOptions,
  connect: ConnectOptions = {},
): Promise<buildConnector.connector> {
  const undici = await loadUndici();
  const rule: EgressRule = { allowPrivateNetwork: options.allowPrivateNetwork, loopback: options.loopback !== false };
  const resolve = options.lookup ?? (dnsLookup as LookupFunction);
  const forProtocol = (protocol: string): buildConnector.connector =>
    undici.buildConnector({ ...connect, lookup: checkedLookup(resolve, protocol, rule) } as ConnectOptions);
  const plain = forProtocol('http:');
  const tls = forProtocol('https:');
  return (target, callback) => {
    const why = hostRefusal(target.hostname, target.protocol, rule);
    if (why) {
      callback(new EgressError(why), null);
      return;
    }
    if (target.protocol !== 'https:') return plain(target, callback);
    trustSystemCertificates();
    tls(target, callback);
  };
}

/** A `lookup` for net/tls.connect that fails when any answer is refused (all answers, or the one it would use). */
export function checkedLookup(resolve: LookupFunction, protocol: string, rule: EgressRule): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (err, answers, family) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const list: LookupAddress[] = Array.isArray(answers)
        ? answers
        : [{ address: answers, family: typeof family === 'number' ? family : isIP(answers) }];
      if (list.length === 0) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        return;
      }
      for (const answer of list) {
        const why = refusal(answer.address, hostname, protocol, rule);
        if (why) {
          callback(new EgressError(why), '', 0);
          return;
        }
      }
      if (lookupOptions.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
