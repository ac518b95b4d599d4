/**
 * What a connected client sees of a config edit that replaces a server's process: between the old
 * one's exit and the new one's start the server has no process at all, and a call made then is
 * the server's all the same (it waits for the new process, as for any server starting). A call
 * the old process still had is answered with why it stopped, and that its outcome is unknown.
 */
import { writeFile, rename } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../../main/engine/index.ts';
import { FIXTURE, NODE, httpClient, startGateway, tempDir, waitFor, writeConfig } from '../../helpers/gateway.ts';

/**
 * The fixture server, made slow to stop: it outlives its stdin and ignores SIGTERM, so the gateway
 * waits for its grace period (2 s) and kills it before the server's next process starts.
 */
function slowToStop(name: string, env: Record<string, string> = {}): Record<string, unknown> {
  const load = `process.on('SIGTERM', () => {}); await import(${JSON.stringify(pathToFileURL(FIXTURE).href)});`;
  return {
    command: NODE,
    args: ['--input-type=module', '-e', load],
    env: { FIXTURE_NAME: name, FIXTURE_IGNORE_EOF: '1', ...env },
  };
}

describe('a call made while a config edit replaces its server', () => {
  let dir: { dir: string; cleanup(): Promise<void> };
  let gateway: Gateway;
  let client: Client;
  let configPath: string;

  async function save(config: Record<string, unknown>) {
    const tmp = `${configPath}.tmp`;
    await writeFile(tmp, JSON.stringify(config, null, 2));
    await rename(tmp, configPath);
  }

  /** Resolves once `name` has no process: the old one is being stopped, the new one not started. */
  const betweenProcesses = (name: string) =>
    waitFor(
      () => gateway.servers().find((s) => s.name === name && s.state === 'stopped' && s.instances === 0),
      10_000,
      `${name} between its old process and its new one`,
    );

  beforeAll(async () => {
    dir = await tempDir();
    configPath = await writeConfig(dir.dir, { mcpServers: { notes: slowToStop('notes') } });
    gateway = await startGateway(configPath, { watch: true });
    client = await httpClient(gateway.httpUrl()!);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await dir?.cleanup();
  });

  it('waits for the new process of a server whose entry changed, instead of calling its tool unknown', async () => {
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('notes__echo');
    const before = gateway.servers().find((s) => s.name === 'notes')!.pid;
    await save({ mcpServers: { notes: slowToStop('notes', { EDITED: '1' }) } });
    await betweenProcesses('notes');
    const result = await client.callTool({ name: 'notes__echo', arguments: { message: 'hi' } });
    expect(result.isError).toBeFalsy();
    const { pid } = result.structuredContent as { pid: number };
    expect(pid).not.toBe(before);
    expect(pid).toBe(gateway.servers().find((s) => s.name === 'notes')!.pid);
  });

  it('waits for a renamed server to start under its new name while the old one is stopped', async () => {
    await save({ mcpServers: { journal: slowToStop('journal') } });
    await betweenProcesses('journal');
    const result = await client.callTool({ name: 'journal__echo', arguments: { message: 'hi' } });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { server: string }).server).toBe('journal');
  });

  it('answers a call its server was stopped during with why, and that whether it ran is unknown', async () => {
    const slowCall = () =>
      client.callTool({ name: 'journal__slow', arguments: { steps: 100, delayMs: 100 } }).then(
        () => 'answered',
        (err: Error) => err.message,
      );
    const unknown = 'while this request was in flight, so whether it ran is unknown: check before repeating';
    await save({ mcpServers: { journal: slowToStop('journal') } });
    await waitFor(() => gateway.servers().find((s) => s.name === 'journal' && s.state === 'ready'), 15_000);
    let inFlight = slowCall();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await save({ mcpServers: { journal: slowToStop('journal', { EDITED: '2' }) } });
    expect(await inFlight).toContain(`server "journal" was restarted with its new settings ${unknown}`);

    await waitFor(() => gateway.servers().find((s) => s.name === 'journal' && s.state === 'ready'), 15_000);
    inFlight = slowCall();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await save({ mcpServers: { journal: { ...slowToStop('journal', { EDITED: '2' }), disabled: true } } });
    expect(await inFlight).toContain(`server "journal" was turned off in the config ${unknown}`);

    await save({ mcpServers: { journal: slowToStop('journal', { EDITED: '2' }) } });
    await waitFor(() => gateway.servers().find((s) => s.name === 'journal' && s.state === 'ready'), 15_000);
    inFlight = slowCall();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await gateway.setPaused(true);
    expect(await inFlight).toContain(`server "journal" was stopped: Switchboard was paused ${unknown}`);
    await gateway.setPaused(false);

    await waitFor(() => gateway.servers().find((s) => s.name === 'journal' && s.state === 'ready'), 15_000);
    inFlight = slowCall();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await save({ mcpServers: {} });
    expect(await inFlight).toContain(`server "journal" was removed from the config ${unknown}`);
  });
});
