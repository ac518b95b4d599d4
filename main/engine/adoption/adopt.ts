/**
 * Adoption: take the servers a client already has into Switchboard. Secret-looking values go to
 * the secret store (the keychain), the servers go into Switchboard's config with `${secret:...}`
 * references, and the client keeps one `switchboard` entry in their place. Order of writes:
 * secrets, then Switchboard's config, then the client file (backed up first), so a failure never
 * leaves a client without its servers. `restoreClient` undoes the client side: byte for byte, or
 * only its server section when the client keeps more in that file and changed it since.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { GatewayError } from '../protocol/errors.ts';
import { describeSecretStore, type SecretStore } from '../secrets/store.ts';
import { clientDefinition } from '../installers/clients.ts';
import { applyChange, planChange, type ChangePlan, type InstallerContext } from '../installers/client-file.ts';
import { unifiedDiff } from '../installers/diff.ts';
import { readClientServers, setEntry, verifyClient, type VerifyResult } from '../installers/installer.ts';
import { assertWritable, readSnapshot, resolveTarget, writeAtomic } from '../installers/safe-file.ts';
import { createLineRedactor } from '../installers/secret-names.ts';
import { readJsonObject } from '../installers/formats/json.ts';
import { splitText } from '../installers/text.ts';
import { profileOf } from '../installers/shim-entry.ts';
import { maskArgs, maskUrl } from '../secrets/looks-secret.ts';
import type { ClientId, ClientServer, ShimCommand } from '../installers/types.ts';
import { convertServer, ConvertError, type ConvertedServer } from './convert.ts';
import { addServersToConfig } from './switchboard-config.ts';

export interface AdoptionContext extends InstallerContext {
  /** Switchboard's config file (created if missing). */
  configPath: string;
  /** Where moved secrets go; also encrypts the client file's backup. */
  secrets: SecretStore;
}

export interface AdoptOptions {
  shim: ShimCommand;
  /** Client server names to take; default: every server that can be taken. */
  servers?: string[];
}

export interface AdoptableServer {
  name: string;
  kind: ClientServer['kind'];
  /** What the server runs or reaches (secrets masked). */
  summary: string;
  problem?: string;
}

export interface PlannedServer {
  /** Name in the client, and in Switchboard. */
  from: string;
  name: string;
  /** Secret names stored (values never appear in a plan). */
  secrets: { name: string; field: string }[];
}

export interface AdoptionPlan {
  client: ClientId;
  clientPath: string;
  configPath: string;
  servers: PlannedServer[];
  /** Already in Switchboard's config with the same definition. */
  alreadyInConfig: string[];
  /**
   * Left in the client, as none was named: their name in Switchboard is the config's for a different
   * server. With `servers` naming one, adoption refuses instead.
   */
  nameTaken: { from: string; problem: string }[];
  warnings: string[];
  clientDiff: string;
  configDiff: string;
  /** Why Switchboard will not write the client's file (read-only, or a link out of its folder): adopt refuses. */
  refused?: string;
}

export interface AdoptionResult extends AdoptionPlan {
  backupFile?: string;
  verified: VerifyResult;
  note: string;
}

/** What a server runs or reaches, with secret-looking arguments and URL parts masked. */
function summary(s: ClientServer): string {
  if (s.kind === 'stdio') return [s.command, ...maskArgs(s.args ?? [], '***')].join(' ');
  if (s.kind === 'remote') return maskUrl(s.url ?? '', '***');
  return s.problem ?? '';
}

/** The client's servers and whether each can be adopted. */
export async function listAdoptable(
  id: ClientId | string,
  ctx: InstallerContext,
): Promise<{ path: string; servers: AdoptableServer[] }> {
  const def = clientDefinition(id);
  const { path: file, servers } = await readClientServers(def.id, ctx);
  return {
    path: file,
    servers: servers.map((s) => {
      let problem = s.kind === 'unsupported' ? s.problem : undefined;
      if (!problem) {
        try {
          convertServer(s, { client: def.id, dialect: def.variables, home: ctx.home });
        } catch (err) {
          problem = (err as Error).message;
        }
      }
      return {
        name: s.name,
        kind: problem ? 'unsupported' : s.kind,
        summary: summary(s),
        ...(problem ? { problem } : {}),
      };
    }),
  };
}

interface Prepared {
  plan: AdoptionPlan;
  converted: ConvertedServer[];
  adoptedNames: string[];
  configText: string;
  configHash: string | null;
  configTarget: string;
  clientPlan: ChangePlan;
}

/**
 * Picks a free name for each secret: reuses one holding the same value, else adds -2, -3, ...
 * `lookup` 'read-if-available' (a preview) reads the store only while it answers: a preview must
 * work without a keychain, and then says the names it would try first.
 */
async function assignSecretNames(
  converted: ConvertedServer[],
  store: SecretStore,
  lookup: 'read' | 'read-if-available',
): Promise<void> {
  let reading = true;
  const current = async (name: string): Promise<string | undefined> => {
    if (!reading) return undefined;
    try {
      return await store.get(name);
    } catch (err) {
      if (lookup === 'read') throw err;
      reading = false;
      return undefined;
    }
  };
  const taken = new Set<string>();
  for (const server of converted) {
    for (const secret of server.secrets) {
      let name = secret.name;
      for (let n = 2; ; n++) {
        if (taken.has(name)) name = `${secret.name}-${n}`.slice(-128);
        else {
          const held = await current(name);
          if (held === undefined || held === secret.value) break;
          name = `${secret.name}-${n}`;
        }
      }
      taken.add(name);
      if (name !== secret.name) {
        const ref = `\${secret:${secret.name}}`;
        const [kind, key] = secret.field.split(/\.(.*)/s) as ['env' | 'headers' | 'url', string];
        if (kind === 'url') {
          server.entry.url = (server.entry.url as string).replace(ref, `\${secret:${name}}`);
        } else {
          const map = server.entry[kind] as Record<string, string>;
          map[key] = map[key]!.replace(ref, `\${secret:${name}}`);
        }
        secret.name = name;
      }
    }
  }
}

async function prepare(
  id: ClientId | string,
  ctx: AdoptionContext,
  options: AdoptOptions,
  lookupSecrets: 'read' | 'read-if-available',
): Promise<Prepared> {
  const def = clientDefinition(id);
  const { path: clientPath, servers } = await readClientServers(def.id, ctx);
  const byName = new Map(servers.map((s) => [s.name, s]));
  const warnings: string[] = [];
  let chosen: ClientServer[];
  if (options.servers) {
    const unknown = options.servers.filter((n) => !byName.has(n));
    if (unknown.length) {
      throw new GatewayError(
        'not_found',
        `${def.name} has no server named ${unknown.map((n) => `"${n}"`).join(', ')} ` +
          `in ${clientPath} (it has: ${[...byName.keys()].join(', ') || 'none'})`,
      );
    }
    chosen = options.servers.map((n) => byName.get(n)!);
  } else {
    chosen = servers;
  }
  let converted: ConvertedServer[] = [];
  let adoptedNames: string[] = [];
  for (const server of chosen) {
    let c: ConvertedServer;
    try {
      c = convertServer(server, { client: def.id, dialect: def.variables, home: ctx.home });
    } catch (err) {
      if (!(err instanceof ConvertError)) throw err;
      if (options.servers)
        throw new GatewayError('invalid_request', `cannot adopt "${server.name}" from ${def.name}: ${err.message}`);
      warnings.push(`left "${server.name}" in ${def.name}: ${err.message}`);
      continue;
    }
    const clash = adoptedNames[converted.findIndex((o) => o.name === c.name)];
    if (clash !== undefined)
      throw new GatewayError(
        'invalid_request',
        `"${clash}" and "${server.name}" would both be named "${c.name}" in Switchboard; adopt them one at a ` +
          `time with --servers`,
      );
    converted.push(c);
    adoptedNames.push(server.name);
  }
  await assignSecretNames(converted, ctx.secrets, lookupSecrets);

  const { target: configTarget } = await resolveTarget(ctx.configPath, path.dirname(ctx.configPath));
  const configSnapshot = await readSnapshot(configTarget);
  // None named: a server whose name the config has for a different one stays in the client, said so,
  // and the others move (one such name refused them all, and the app has no --servers to leave it out).
  const nameTaken: { from: string; problem: string }[] = [];
  if (!options.servers) {
    const existing = new Map(readJsonObject(splitText(configSnapshot.text).body, ctx.configPath, ['mcpServers']));
    const keep = converted.map((c) => {
      const current = existing.get(c.name);
      return current === undefined || isDeepStrictEqual(current, c.entry);
    });
    converted.forEach((c, i) => {
      if (keep[i]) return;
      const problem =
        `Switchboard's config already has a different server named "${c.name}": rename one of them ` + `to move it`;
      nameTaken.push({ from: adoptedNames[i]!, problem });
      warnings.push(`left "${adoptedNames[i]!}" in ${def.name}: ${problem}`);
    });
    adoptedNames = adoptedNames.filter((_, i) => keep[i]);
    converted = converted.filter((_, i) => keep[i]);
  }
  for (const c of converted) warnings.push(...c.warnings);
  const edit = addServersToConfig(
    configSnapshot.text,
    ctx.configPath,
    converted.map((c) => ({ name: c.name, entry: c.entry })),
    profileOf(options.shim.args) ?? 'default',
  );
  const clientPlan = await planChange(def, ctx, (body, file, eol) => {
    let out = body;
    for (const name of adoptedNames) out = def.format.remove(out, file, name, eol);
    return setEntry(def, options.shim)(out, file, eol);
  });
  return {
    plan: {
      client: def.id,
      clientPath,
      configPath: ctx.configPath,
      servers: converted.map((c, i) => ({
        from: adoptedNames[i] ?? c.name,
        name: c.name,
        secrets: c.secrets.map((s) => ({ name: s.name, field: s.field })),
      })),
      alreadyInConfig: edit.unchanged,
      nameTaken,
      warnings: [...warnings, ...clientPlan.warnings],
      clientDiff: clientPlan.diff,
      configDiff: unifiedDiff(configSnapshot.text, edit.text, {
        fromLabel: ctx.configPath,
        toLabel: ctx.configPath,
        mapLine: createLineRedactor(),
      }),
      ...(clientPlan.refused !== undefined ? { refused: clientPlan.refused } : {}),
    },
    converted,
    adoptedNames,
    configText: edit.text,
    configHash: configSnapshot.hash,
    configTarget,
    clientPlan,
  };
}

/**
 * What `adopt` would do; nothing is written. The secret store is read (not written) so the names
 * shown are the ones adopt gives: a name holding another value gets -2, -3, ...
 */
export async function planAdoption(
  id: ClientId | string,
  ctx: AdoptionContext,
  options: AdoptOptions,
): Promise<AdoptionPlan> {
  return (await prepare(id, ctx, options, 'read-if-available')).plan;
}

export async function adoptClient(
  id: ClientId | string,
  ctx: AdoptionContext,
  options: AdoptOptions,
): Promise<AdoptionResult> {
  const def = clientDefinition(id);
  const prepared = await prepare(id, ctx, options, 'read');
  if (prepared.converted.length === 0) {
    throw new GatewayError(
      'not_found',
      `nothing to adopt from ${def.name} ` +
        `(${prepared.plan.clientPath})${prepared.plan.warnings.length ? `: ${prepared.plan.warnings.join('; ')}` : ''}`,
    );
  }
  // Checked before anything is stored: the secrets and Switchboard's config go first, so a read-only
  // client file refused only at the end left its servers in both places.
  if (prepared.clientPlan.refused !== undefined) throw new GatewayError('unsafe_path', prepared.clientPlan.refused);
  await assertWritable(prepared.clientPlan.target);
  await assertWritable(prepared.configTarget);
  // 1. Secrets: if the store is unavailable, stop before any file changes.
  for (const server of prepared.converted) {
    for (const secret of server.secrets) {
      try {
        await ctx.secrets.set(secret.name, secret.value);
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        throw new GatewayError(
          'secret_store_unavailable',
          `cannot store secret "${secret.name}" in ${describeSecretStore(ctx.secrets)}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  }
  // 2. Switchboard's config.
  if (prepared.configText !== (await readSnapshot(prepared.configTarget)).text || prepared.configHash === null) {
    await mkdir(path.dirname(prepared.configTarget), { recursive: true });
    if ((await writeAtomic(prepared.configTarget, prepared.configText, prepared.configHash)) === 'conflict') {
      throw new GatewayError(
        'client_config_conflict',
        `${ctx.configPath} changed while adopting; nothing was taken from ${def.name}. Run the command again`,
      );
    }
  }
  // 3. The client: adopted servers out, our entry in (backed up, atomic, retried on conflict).
  const names = prepared.adoptedNames;
  const change = await applyChange(
    def,
    ctx,
    (body, file, eol) => {
      let out = body;
      for (const name of names) out = def.format.remove(out, file, name, eol);
      return setEntry(def, options.shim)(out, file, eol);
    },
    names,
  );
  return {
    ...prepared.plan,
    clientDiff: change.plan.diff,
    warnings: [...new Set([...prepared.plan.warnings, ...change.plan.warnings])],
    ...(change.backup?.file ? { backupFile: change.backup.file } : {}),
    verified: await verifyClient(def.id, ctx, options.shim),
    note: def.note,
  };
}
