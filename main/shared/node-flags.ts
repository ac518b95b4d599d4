/**
 * Node flags for a long-running gateway process. V8's young generation grows to 16 MB semi-spaces
 * by default and keeps what it touched resident; a gateway's garbage is small messages, so 1 MB
 * semi-spaces keep ~14 MB of RSS off an idle gateway (docs/benchmarks.md, issue 14). They must be
 * given at launch: V8 does not resize the heap's layout for a flag set at run time.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
