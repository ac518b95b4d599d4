/** The tray's input kept from the control API's events: what the menu would say after each. */
import { describe, expect, it } from 'vitest';
import { createTrayFeed } from '../../../../main/app/tray/tray-feed.ts';
import type {
  GatewayEventMap,
  GatewayEventName,
  GatewayEvents,
  GatewayStatus,
  Question,
} from '../../../../preload/contract/index.ts';

/** Events as the engine's hub delivers them, in process. */
function eventHub() {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const events: GatewayEvents = {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
  const emit = <E extends GatewayEventName>(event: E, payload: GatewayEventMap[E]) => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };
  return { events, emit };
}

const status = (extra: Partial<GatewayStatus> = {}): GatewayStatus => ({
  version: '1',
  configPath: '/c.json',
  listen: ['http://127.0.0.1:8787/mcp', '/run/sb.sock'],
  paused: false,
  trafficRecording: true,
  ...extra,
});
const question = (id: string) => ({ id }) as Question;

describe('tray feed', () => {
  it('shows the first problem of a config file that cannot be applied, by its line', () => {
    const { events, emit } = eventHub();
    const feed = createTrayFeed({
      api: {
        listServers: async () => [],
        getStatus: async () => status(),
        listQuestions: async () => [],
        listClients: async () => [],
      },
      events,
      onChange: () => undefined,
    });
    emit('servers', []);
    emit('status', status({ configError: '/c.json:3:5: listen.http.port: expected a number\n/c.json:9:1: x' }));
    // The first problem, by its line; the file's path took up the menu's whole line.
    expect(feed.input().configError).toBe('line 3: listen.http.port: expected a number');
    expect(feed.input().error).toBeUndefined();
    expect(feed.input().endpoint).toBe('http://127.0.0.1:8787/mcp');
    emit('status', status());
    expect(feed.input().configError).toBeUndefined();
  });

  it('never brings back a question answered while a refresh was fetching, nor loses one that came', async () => {
    const { events, emit } = eventHub();
    let release!: (questions: Question[]) => void;
    const feed = createTrayFeed({
      api: {
        listServers: async () => [],
        getStatus: async () => status(),
        listQuestions: () => new Promise<Question[]>((resolve) => (release = resolve)),
        listClients: async () => [],
      },
      events,
      onChange: () => undefined,
    });
    const refreshed = feed.refresh();
    // The snapshot is taken with q1 waiting; q1 is answered and q2 arrives before it lands.
    emit('question-ended', { id: 'q1', outcome: 'answered' });
    emit('question-added', question('q2'));
    release([question('q1'), question('q0')]);
    await refreshed;
    expect(feed.input().questions).toBe(2); // q0 and q2
    emit('question-ended', { id: 'q0', outcome: 'expired' });
    emit('question-ended', { id: 'q2', outcome: 'answered' });
    expect(feed.input().questions).toBe(0);
  });

  it("reads the clients again when a client's file changes, so Install into says what is so now", async () => {
    const { events, emit } = eventHub();
    let installed = true;
    const feed = createTrayFeed({
      api: {
        listServers: async () => [],
        getStatus: async () => status(),
        listQuestions: async () => [],
        listClients: async () => [
          {
            id: 'claude-desktop',
            name: 'Claude Desktop',
            path: '/c/claude_desktop_config.json',
            detected: true,
            state: installed ? 'installed' : 'not-installed',
            servers: [],
            backedUp: true,
          },
        ],
      },
      events,
      onChange: () => undefined,
    });
    await feed.refresh();
    expect((feed.input().clients ?? []).map((c) => c.state)).toEqual(['installed']);
    installed = false;
    emit('client-file', {
      client: 'claude-desktop',
      name: 'Claude Desktop',
      path: '/c/claude_desktop_config.json',
      change: 'entry-removed',
      message: 'gone',
      bySwitchboard: false,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect((feed.input().clients ?? []).map((c) => c.state)).toEqual(['not-installed']);
  });
});
