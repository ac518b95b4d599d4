/** The echo MCP server over stdio (newline-delimited JSON-RPC). See echo-core.ts. */
import { handle } from './echo-core.ts';
import { serveStdio } from './stdio-serve.ts';

serveStdio(handle);
