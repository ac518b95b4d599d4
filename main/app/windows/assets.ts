/**
 * Maps `switchboard://app/<path>` requests to files of the built renderer, refusing anything
 * that would leave its directory: the engine's resolver for /ui, behind this scheme's host check.
 */
import { resolveStaticFile } from '../../engine/index.ts';
import { APP_HOST, APP_SCHEME } from './options.ts';

export interface AppAsset {
  /** Absolute path inside the renderer directory. */
  file: string;
  contentType: string;
}

/** Returns the file to serve, or null (→ 404) for other hosts, traversal, or unknown file types. */
export function resolveAppAsset(rendererDir: string, requestUrl: string): AppAsset | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  const found = resolveStaticFile(rendererDir, url.pathname);
  return found && { file: found.path, contentType: found.contentType };
}
