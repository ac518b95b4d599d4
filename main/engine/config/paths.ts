/** JSON paths as people read them: `mcpServers.github.args[2]`, `headers["X Y"]`. */

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** A problem found at a JSON path, before it is given a file position. */
export interface PathIssue {
  path: PathSegment[];
  message: string;
  /** Point at the property's key rather than its value (unknown keys, bad names). */
  atKey?: boolean;
}
