/**
 * The one stderr line that says why a server died. Runtimes print their error and then some
 * noise: Node ends an uncaught exception with a stack, an options object and its version banner
 * (`Node.js v24.21.0`), Python ends a traceback with the exception line. The last line is
 * therefore often useless; this picks the error line (`Error: …`, `Cannot find module …`,
 * `ModuleNotFoundError: …`, `panic: …`, npm's `404 Not Found - GET …`) and otherwise the last line
 * that is not noise.
 */

/** Lines looked at, newest first: a crash report is short; older output is from before it. */
const LOOK_BACK = 60;

/** Error lines of Node, Python, Go, Rust, Java, Ruby, PHP, shells. */
const ERROR_LINE = [
  // Error: boom / TypeError [ERR_X]: boom / Uncaught Error: boom / ModuleNotFoundError: No module …
  /^(?:Uncaught\s+)?(?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$][\w$]*(?:Error|Exception|Exit|Interrupt)(?:\s*\[[\w-]+\])?:\s*\S/,
  /^Error(?:\s*\[[\w-]+\])?:\s*\S/,
  /^(?:panic|fatal error|Fatal error|PHP Fatal error|FATAL|fatal): ?\S/,
  /^thread '.*' panicked at /,
  /^error(?:\[\w+\])?: \S/,
  /(?:command not found|No such file or directory|Permission denied)\s*$/,
  // npm (npx): "npm error 404 Not Found - GET https://…/pkg", "npm error code E404".
  /^npm (?:error|ERR!) (?:code \w+|\d{3} [A-Z][\w ]* - \S)/,
];

/** Lines that are never the cause: banners, stack frames, code excerpts, our own notes. */
const NOISE = [
  /^\s*$/,
  /^(?:Node\.js|Bun|Deno) v?\d+\.\d+/,
  /^\s+at\s/,
  /^\s*\^+\s*$/,
  /^\s*File ".*", line \d+/,
  /^Traceback \(most recent call last\):/,
  /^Require stack:/,
  /^- \S/,
  /^\s*[{}[\]],?\s*$/,
  /^\s+\w+: .*,?$/,
  /^\[switchboard\] /,
  /^\[stdout, not JSON-RPC\] /,
  /^node:internal\//,
  /^npm (?:notice|warn)\b/i,
  /^npm (?:error|ERR!) A complete log of this run/,
  /^goroutine \d+ \[/,
  /^\(Use `node --trace-/,
];

export function crashLine(lines: readonly string[]): string | undefined {
  const recent = lines.slice(-LOOK_BACK).map((l) => l.replace(/\s+$/, ''));
  for (let i = recent.length - 1; i >= 0; i--) {
    const line = recent[i]!;
    if (ERROR_LINE.some((r) => r.test(line.trimStart()))) return line.trim();
  }
  for (let i = recent.length - 1; i >= 0; i--) {
    const line = recent[i]!;
    if (!NOISE.some((r) => r.test(line))) return line.trim();
  }
  return undefined;
}
