/**
 * Certificate authorities the operating system trusts (a company's own, installed by its IT; one
 * a TLS-inspecting proxy signs with) are trusted for servers too, as the browser trusts them: Node
 * trusts only its bundled list, so such a server failed as "from an authority this computer does
 * not trust" while the browser opened it. Read once, when the first https connection is made:
 * reading the system store takes ~150 ms, which a gateway without https servers never pays.
 */
import tls from 'node:tls';

let trusted = false;

/** Adds the system's authorities to the default list that TLS connections without their own `ca` use. */
export function trustSystemCertificates(): void {
  if (trusted) return;
  trusted = true;
  // Older runtimes (an Electron on an earlier Node) have neither: their bundled list stays.
  if (typeof tls.getCACertificates !== 'function' || typeof tls.setDefaultCACertificates !== 'function') return;
  try {
    const all = new Set([...tls.getCACertificates('default'), ...tls.getCACertificates('system')]);
    tls.setDefaultCACertificates([...all]);
  } catch {
    // A system store that cannot be read leaves the bundled list (and NODE_EXTRA_CA_CERTS) in force.
  }
}
