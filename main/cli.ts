#!/usr/bin/env node
/**
 * Headless entry: `switchboard serve|shim|list|call|doctor`. Thin: parses arguments, builds the
 * engine, prints results. All behaviour lives in main/engine (and main/shim for `shim`).
 */
import { parseArgs } from 'node:util';
import pkg from '../package.json' with { type: 'json' };

const HELP = `Switchboard ${pkg.version}: one MCP gateway for every AI client.

Usage: switchboard <command> [options]

Commands:
  serve             Run the gateway (HTTP on 127.0.0.1, the shim socket, config hot reload)
    --stdio           Serve one MCP client on stdin/stdout instead (no listeners)
    --port N          HTTP port (default from config, 8787; 0 = any free port)
    --host ADDR       HTTP address (default 127.0.0.1; others need listen.http.token)
    --no-http         Do not open the HTTP listener
    --no-socket       Do not open the shim socket
    --profile NAME    Profile for --stdio (default: default)
  shim              Pipe this process's stdio to the running gateway (what clients spawn)
    --profile NAME    Profile to expose (default: default)
  list              Start the configured servers and list their state and tools
    --json            Machine-readable output
  call SERVER TOOL  Call one tool and print its result
    --args JSON       Tool arguments as a JSON object (default {})
    --json            Print the raw MCP result
  doctor            Check the config, each server, PATH resolution, port and socket

Common options:
  --config PATH     Config file (default: ${'$'}SWITCHBOARD_CONFIG or the user config directory)
  --timeout MS      How long list/call/doctor wait for servers (default 30000)
  -h, --help        This help
  -v, --version     Print the version
`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (command === 'shim') {
    // The shim imports node built-ins only; load nothing else on this path.
    const { main: shimMain } = await import('./shim/index.ts');
    return shimMain(argv.slice(1));
  }
  const { values, positionals } = parseArgs({
    args: argv.slice(1),
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      stdio: { type: 'boolean', default: false },
      port: { type: 'string' },
      host: { type: 'string' },
      'no-http': { type: 'boolean', default: false },
      'no-socket': { type: 'boolean', default: false },
      background: { type: 'boolean', default: false },
      profile: { type: 'string', default: 'default' },
      args: { type: 'string' },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const commands = await import('./cli/commands.ts');
  const common = { configPath: values.config, timeoutMs: values.timeout === undefined ? 30_000 : Number(values.timeout) };
  switch (command) {
    case 'serve':
      return commands.serve({
        ...common,
        stdio: values.stdio,
        port: values.port === undefined ? undefined : Number(values.port),
        host: values.host,
        http: !values['no-http'],
        socket: !values['no-socket'],
        profile: values.profile,
        background: values.background,
      });
    case 'list':
      return commands.list({ ...common, json: values.json });
    case 'call': {
      const [server, tool] = positionals;
      if (!server || !tool) throw new UsageError('usage: switchboard call SERVER TOOL [--args JSON]');
      return commands.call({ ...common, server, tool, args: values.args, json: values.json });
    }
    case 'doctor':
      return commands.doctor(common);
    default:
      throw new UsageError(`unknown command "${command}". Run switchboard --help for the list.`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`switchboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
