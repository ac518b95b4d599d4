/**
 * What looks like a secret (looksSecret, declared in the contract so the UI decides alike): adoption
 * moves such values to the keychain, diffs shown to the user mask them, and the redactor hides their
 * values wherever the gateway stores or shows text.
 */
import { looksSecret } from '../../../preload/contract/index.ts';

export { looksSecret };

/** A value that is already a reference (`${secret:x}`, `${env:X}`, VS Code's `${input:x}`) is not a secret itself. */
export function isReference(value: string): boolean {
  return /^\$\{[^}]+\}$/.test(value.trim()) || /^Bearer \$\{[^}]+\}$/i.test(value.trim());
}

/**
 * Command arguments and URLs as a user may see them: the value after a secret-looking flag
 * (`--token X`, `--api-key=X`), `user:password@` in a URL and secret-looking query parameters
 * replaced by `mask`. For summaries of servers whose values the gateway does not know as secrets.
 */
export function maskArgs(args: readonly string[], mask: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const flag = /^(--?)([A-Za-z0-9_.-]+)(=)(.*)$/.exec(arg);
    if (flag && looksSecret(flag[2]!) && !isReference(flag[4]!)) {
      out.push(`${flag[1]}${flag[2]}=${mask}`);
    } else if (/^--?[A-Za-z0-9_.-]+$/.test(arg) && looksSecret(arg.replace(/^--?/, '')) && i + 1 < args.length) {
      out.push(arg, isReference(args[i + 1]!) ? args[i + 1]! : mask);
      i++;
    } else {
      out.push(maskUrl(arg, mask));
    }
  }
  return out;
}

export function maskUrl(text: string, mask: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.password && !isReference(decodeURIComponent(url.password))) {
    url.password = mask;
    changed = true;
  }
  for (const [key, value] of [...url.searchParams]) {
    if (looksSecret(key) && !isReference(value)) {
      url.searchParams.set(key, mask);
      changed = true;
    }
  }
  return changed ? url.href : text;
}
