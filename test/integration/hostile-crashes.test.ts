/**
 * Servers that die at start, as a new user meets them: a script that throws, a missing module, a
 * Python exception. The state line names the cause (not Node's version banner) and the full log.
 * Also: the era probe of a stateful server is an info note, and `"protocol": "stateful"` skips it.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../main/engine/index.ts';
import type { LogLine } from '../../preload/contract/index.ts';
import { NODE, ROOT, fixtureServer, startGateway, tempDir, waitFor, writeConfig } from '../helpers/gateway.ts';

const SILENT_STATEFUL = path.join(ROOT, 'test/fixtures/servers/stateless-silent-stateful.ts');

function python(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
    return 'python3';
  } catch {
    return undefined;
  }
}

describe('crash messages name the cause', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let logDir: string;
  let gateway: Gateway;
  const py = python();

  beforeAll(async () => {
    dir = await tempDir();
    logDir = path.join(dir.dir, 'logs');
    const throws = path.join(dir.dir, 'throws.mjs');
    await writeFile(throws, "console.error('starting up');\nthrow new Error('the database file is locked');\n");
    const missing = path.join(dir.dir, 'missing.cjs');
    await writeFile(missing, "require('left-pad-that-is-not-installed');\n");
    const raises = path.join(dir.dir, 'raises.py');
    await writeFile(raises, "import sys\nprint('booting', file=sys.stderr)\nraise RuntimeError('no API key given')\n");
    const servers: Record<string, unknown> = {
      throws: { command: NODE, args: [throws] },
      missing: { command: NODE, args: [missing] },
    };
    if (py) servers.raises = { command: py, args: [raises] };
    gateway = await startGateway(await writeConfig(dir.dir, { mcpServers: servers }), { logDir });
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  const errorOf = (name: string) =>
    waitFor(
      () => {
        const s = gateway.servers().find((x) => x.name === name);
        return s?.state !== 'starting' && s?.lastError ? s.lastError : undefined;
      },
      20_000,
      `${name} to fail`,
    );

  it('shows the Error line of a Node script that throws, then where the full log is', async () => {
    const error = await errorOf('throws');
    expect(error).toContain('Error: the database file is locked');
    expect(error).not.toMatch(/Node\.js v\d/);
    expect(error).toContain(`(full log: ${path.join(logDir, 'throws.log')})`);
  });

  it('shows "Cannot find module" for a missing module', async () => {
    const error = await errorOf('missing');
    expect(error).toMatch(/Error: Cannot find module 'left-pad-that-is-not-installed'/);
    expect(error).not.toMatch(/Node\.js v\d/);
    expect(error).toContain('full log: ');
  });

  it.skipIf(!py)('shows the exception line of a Python traceback', async () => {
    const error = await errorOf('raises');
    expect(error).toContain('RuntimeError: no API key given');
  });
});

describe('the era probe', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    gateway = await startGateway(
      await writeConfig(dir.dir, {
        mcpServers: {
          plain: fixtureServer('plain'),
          // Ignores server/discover: auto would wait for the probe to time out, then start it again.
          quiet: { command: NODE, args: [SILENT_STATEFUL], protocol: 'stateful' },
        },
      }),
      {},
      // The log listener must be in place before the servers start talking.
      { settle: false },
    );
    gateway.on('log', (l) => lines.push(l));
  });
  afterAll(async () => {
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('is an info note for a stateful server, not a warning', async () => {
    const note = await waitFor(
      () => lines.find((l) => l.server === 'plain' && l.text.includes('stateful')),
      15_000,
      'the era note',
    );
    expect(note.level).toBe('info');
    expect(note.text).not.toMatch(/\bnot a\b/);
  });

  it('is skipped for a server configured with "protocol": "stateful"', async () => {
    const started = Date.now();
    const upstream = gateway.upstream('quiet')!;
    await upstream.whenReady(15_000);
    // The probe alone would take 5 s (no answer), then a second process.
    expect(Date.now() - started).toBeLessThan(4000);
    const result = await upstream.request('tools/call', { name: 'echo', arguments: {} });
    const text = (result.content as { text: string }[])[0]!.text;
    expect(JSON.parse(text)).toMatchObject({ sawProbe: false });
    expect(gateway.servers().find((s) => s.name === 'quiet')?.restarts).toBe(0);
    expect(lines.some((l) => l.server === 'quiet' && /stateful|discover/.test(l.text))).toBe(false);
  });
});
