/**
 * Switchboard's upstream MCP client (main/engine/upstreams/http-mcp.ts) as a conformance-suite
 * client: `conformance client --command "node scripts/conformance-client.ts" --scenario S` starts a
 * mock server and runs this with the server's URL as the last argument.
 *
 * It does what the gateway does with a remote server (initialize, list, call) and what a scenario
 * asks for (MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT). Server-to-client requests are
 * answered the way a downstream client without a user would: elicitation accepted with no edits,
 * sampling with a canned message, roots with an empty list. Exit 0 when the scripted calls
 * succeeded, 1 otherwise (details on stderr).
 */
import { createMcpUpstream } from '../main/engine/upstreams/era.ts';
import { serverFetch } from '../main/engine/upstreams/mcp-http/http-upstream.ts';
import { OAuthSession, type BrowserOpener, type OAuthSettings } from '../main/engine/oauth/session.ts';
import { OAuthVault } from '../main/engine/oauth/vault.ts';
import { createMemorySecretStore } from '../main/engine/secrets/memory-store.ts';
import type { Upstream } from '../main/engine/upstreams/types.ts';
import { completeInputRounds } from '../main/engine/routing/input-rounds.ts';
import pkg from '../package.json' with { type: 'json' };

/** What the gateway declares to every upstream (main/engine/gateway.ts). */
const CAPABILITIES = { roots: { listChanged: true }, sampling: {}, elicitation: { form: {}, url: {} } };
const TIMEOUT_MS = 10_000;
/** The client ID metadata document the auth scenarios expect a client to publish (as the suite's own client does). */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

type Json = Record<string, unknown>;
interface ToolCall {
  name: string;
  arguments?: Json;
}

const log = (line: string) => process.stderr.write(`conformance-client: ${line}\n`);

async function main(): Promise<number> {
  const url = process.argv[process.argv.length - 1];
  if (!url || !/^https?:\/\//.test(url)) {
    log('usage: conformance-client.ts <server url>');
    return 2;
  }
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
  const context = parseContext(process.env.MCP_CONFORMANCE_CONTEXT);

  // OAuth as the gateway does it, with a browser played by fetch: there is no person here.
  const auth = new OAuthSession({
    name: 'conformance',
    resource: url,
    settings: oauthSettings(context),
    vault: new OAuthVault(createMemorySecretStore()),
    fetch: serverFetch({}, {}),
    clientInfo: { name: 'switchboard', version: pkg.version },
    autoLogin: headlessBrowser,
    loginTimeoutMs: TIMEOUT_MS,
    log,
  });

  // The same factory the gateway uses: probes server/discover, falls back to initialize.
  const upstream = createMcpUpstream(
    {
      name: 'conformance',
      url,
      headers: {},
      transport: 'auto',
      timeoutMs: TIMEOUT_MS,
      startupTimeoutMs: TIMEOUT_MS,
      auth,
    },
    {
      clientInfo: { name: 'switchboard', version: pkg.version },
      capabilities: CAPABILITIES,
      // Fail fast: a scenario that rejects us (auth/*) should not wait out production backoff.
      backoff: { initialMs: 100, maxMs: 200, maxAttempts: 2, stableMs: 60_000 },
      log,
    },
  );
  upstream.on('request', (message, reply) => {
    log(`server request ${message.method}`);
    answerQuestion(message.method, message.params ?? {}).then(
      (result) => reply({ result }),
      (err: unknown) => reply({ error: { code: -32601, message: err instanceof Error ? err.message : String(err) } }),
    );
  });
  upstream.on('notification', (message) => log(`notification ${message.method}`));
  upstream.on('status', (status) => log(`state ${status.state}${status.lastError ? `: ${status.lastError}` : ''}`));

  upstream.start();
  try {
    const info = await upstream.whenReady(TIMEOUT_MS);
    log(`initialized: ${info.serverInfo.name} ${info.serverInfo.version}, protocol ${info.protocolVersion}`);
    await runScenario(upstream, scenario, context, info.capabilities);
    return 0;
  } catch (err) {
    log(`failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await upstream.stop();
  }
}

async function runScenario(upstream: Upstream, scenario: string, context: Json, capabilities: Json): Promise<void> {
  const request = (method: string, params?: Json) => upstream.request(method, params, { timeoutMs: TIMEOUT_MS });
  const tools = capabilities.tools
    ? (((await request('tools/list', {})).tools as { name: string; inputSchema?: Json }[] | undefined) ?? [])
    : [];
  log(`tools: ${tools.map((t) => t.name).join(', ') || '(none)'}`);

  const scripted: Record<string, ToolCall[]> = {
    initialize: [],
    tools_call: [{ name: 'add_numbers', arguments: { a: 5, b: 3 } }],
    'sse-retry': [{ name: 'test_reconnection', arguments: {} }],
    'elicitation-sep1034-client-defaults': [{ name: 'test_client_elicitation_defaults', arguments: {} }],
    'json-schema-ref-no-deref': [],
    'sep-2322-client-request-state': [
      'test_mrtr_echo_state',
      'test_mrtr_unrelated',
      'test_mrtr_no_state',
      'test_mrtr_no_result_type',
    ].map((name) => ({ name, arguments: {} })),
  };
  if (scenario === 'sse-retry') {
    // In the gateway an upstream is up long before the first call, its GET stream already open.
    // Right after initialize that GET may still be on its way; the mock would then answer the
    // tool call on it and never see the reconnection the scenario is about.
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const fromContext = Array.isArray(context.toolCalls) ? (context.toolCalls as ToolCall[]) : undefined;
  // Anything else: call every tool the server lists, with arguments made up from its schema.
  const calls =
    fromContext ??
    scripted[scenario] ??
    tools.map((t) => ({ name: t.name, arguments: sampleArguments(t.inputSchema) }));
  for (const call of calls) {
    const params = { name: call.name, arguments: call.arguments ?? {} };
    // input_required is answered the way the gateway does it for a stateful client.
    const result = await completeInputRounds(params, await request('tools/call', params), {
      label: 'the mock server',
      retry: (again) => request('tools/call', again),
      answer: (method, questionParams) => answerQuestion(method, questionParams),
    });
    log(`called ${call.name}: ${JSON.stringify(result).slice(0, 200)}`);
  }

  if (!(scenario in scripted) && !fromContext) {
    // Generic scenarios (headers, metadata): exercise the other request kinds too.
    if (capabilities.resources) {
      const resources = ((await request('resources/list', {})).resources as { uri: string }[] | undefined) ?? [];
      for (const r of resources) await request('resources/read', { uri: r.uri });
    }
    if (capabilities.prompts) {
      const prompts = ((await request('prompts/list', {})).prompts as { name: string }[] | undefined) ?? [];
      for (const p of prompts) await request('prompts/get', { name: p.name, arguments: {} });
    }
  }
}

/** What this harness answers when a server asks (there is no user or model here). */
async function answerQuestion(method: string, _params: Json): Promise<Json> {
  switch (method) {
    case 'elicitation/create':
      // A client with no user to ask accepts without edits; filling schema defaults is the UI's job.
      return { action: 'accept', content: {} };
    case 'sampling/createMessage':
      return {
        role: 'assistant',
        content: { type: 'text', text: 'A canned answer from the conformance client.' },
        model: 'none',
        stopReason: 'endTurn',
      };
    case 'roots/list':
      return { roots: [] };
    default:
      throw new Error(`not supported: ${method}`);
  }
}

/** Arguments that satisfy a simple object schema: required properties get a value of their type. */
function sampleArguments(schema: Json | undefined): Json {
  const properties = (schema?.properties ?? {}) as Record<string, { type?: string }>;
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  const args: Json = {};
  for (const [name, prop] of Object.entries(properties)) {
    if (!required.has(name)) continue;
    args[name] =
      prop.type === 'number' || prop.type === 'integer'
        ? 1
        : prop.type === 'boolean'
          ? true
          : prop.type === 'array'
            ? []
            : prop.type === 'object'
              ? {}
              : 'test';
  }
  return args;
}

/**
 * The browser's part of a login, without a browser: the authorization endpoint of the suite's
 * mock answers at once with a redirect, which is followed to the session's loopback listener.
 */
const headlessBrowser: BrowserOpener = async (authorizationUrl) => {
  log(`authorization: ${authorizationUrl.origin}${authorizationUrl.pathname}`);
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (!location) throw new Error(`the authorization endpoint did not redirect (HTTP ${res.status})`);
  const back = await fetch(new URL(location, authorizationUrl), { redirect: 'manual' });
  log(`redirect answered ${back.status}`);
  await back.text();
};

/** Pre-registered credentials when the scenario hands some over (MCP_CONFORMANCE_CONTEXT), else self-registration. */
function oauthSettings(context: Json): OAuthSettings {
  const clientId = typeof context.client_id === 'string' ? context.client_id : undefined;
  const clientSecret = typeof context.client_secret === 'string' ? context.client_secret : undefined;
  const grant = String(context.name ?? '').startsWith('auth/client-credentials')
    ? 'client_credentials'
    : 'authorization_code';
  return {
    grant,
    clientMetadataUrl: CLIENT_METADATA_URL,
    ...(clientId ? { clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
  };
}

function parseContext(raw: string | undefined): Json {
  if (!raw) return {};
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' ? (value as Json) : {};
  } catch {
    return {};
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
