import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DESKTOP_METHODS,
  EVENT_NAMES,
  GatewayApiError,
  IPC_METHODS,
  METHODS,
  paramName,
  fieldMessage,
  parseArgs,
  type MethodSpec,
} from '../../../../preload/contract/index.ts';

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe('the method table', () => {
  it('gives every method its own channel and route, by the rules the bindings rely on', () => {
    const routes = new Set<string>();
    for (const [method, spec] of Object.entries(METHODS) as [string, MethodSpec][]) {
      expect(spec.channel, method).toBe(`switchboard:${kebab(method)}`);
      const route = `${spec.http.method} ${spec.http.path}`;
      expect(routes.has(route), route).toBe(false);
      routes.add(route);
      const names = spec.params.map(paramName);
      const inPath = [...spec.http.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
      for (const name of inPath) expect(names, `${method}: :${name}`).toContain(name);
      // Path arguments are never optional; a POST carries at most one more, as its body.
      for (const name of inPath) expect(spec.params, method).not.toContain(`${name}?`);
      if (spec.http.method === 'POST')
        expect(names.filter((n) => !inPath.includes(n)).length, method).toBeLessThanOrEqual(1);
      // Optional parameters come last.
      const firstOptional = spec.params.findIndex((p) => p.endsWith('?'));
      if (firstOptional !== -1)
        expect(
          spec.params.slice(firstOptional).every((p) => p.endsWith('?')),
          method,
        ).toBe(true);
    }
  });

  it("keeps the desktop app's own methods on channels of their own, with no HTTP route", () => {
    const channels = new Set<string>(Object.values(METHODS).map((spec) => spec.channel));
    for (const [method, spec] of Object.entries(DESKTOP_METHODS)) {
      expect(spec.channel, method).toBe(`switchboard:${kebab(method)}`);
      expect(channels.has(spec.channel), method).toBe(false);
      expect(Object.hasOwn(METHODS, method), method).toBe(false);
      // The browser UI has no app to keep them: `switchboard serve` serves no route for them.
      expect('http' in spec, method).toBe(false);
    }
    expect(Object.keys(IPC_METHODS)).toHaveLength(Object.keys(METHODS).length + Object.keys(DESKTOP_METHODS).length);
  });

  it('lists every event once', () => {
    expect(new Set(EVENT_NAMES).size).toBe(EVENT_NAMES.length);
    expect(EVENT_NAMES).toContain('resync');
  });
});

describe('parseArgs', () => {
  const spec: MethodSpec<[string, { n: number }?]> = {
    channel: 'switchboard:x',
    http: { method: 'POST', path: '/x/:name' },
    params: ['name', 'options?'],
    args: z.tuple([z.string().min(1), z.object({ n: z.number().int() }).optional()]),
  };
  const fails = (args: unknown[]) => {
    try {
      parseArgs('x', spec, args);
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayApiError);
      return (err as GatewayApiError).toJSON();
    }
    throw new Error('expected a failure');
  };

  it('returns the arguments, a trailing undefined being an argument left out', () => {
    expect(parseArgs('x', spec, ['a'])).toEqual(['a']);
    expect(parseArgs('x', spec, ['a', undefined])).toEqual(['a']);
    expect(parseArgs('x', spec, ['a', { n: 1 }])).toEqual(['a', { n: 1 }]);
  });

  it('names the argument, and the path inside it, that is wrong', () => {
    expect(fails([])).toEqual({ code: 'invalid_request', message: 'x takes 1 to 2 arguments (name, options), got 0' });
    expect(fails(['a', {}, 3])).toEqual({
      code: 'invalid_request',
      message: 'x takes 1 to 2 arguments (name, options), got 3',
    });
    expect(fails([''])).toEqual({
      code: 'invalid_request',
      field: 'name',
      message: 'x: "name" must not be empty',
    });
    expect(fails(['a', { n: 1.5 }])).toEqual({
      code: 'invalid_request',
      field: 'options.n',
      message: 'x: "options.n" must be a whole number',
    });
  });

  it('says which outcomes a traffic filter takes, given one it does not', () => {
    const refusal = (outcome: unknown) => {
      try {
        parseArgs('listTraffic', METHODS.listTraffic, [{ outcome }]);
      } catch (err) {
        const { code, field, message } = err as GatewayApiError;
        return { code, field, message };
      }
      throw new Error('expected a failure');
    };
    const takes =
      'must be one of "pending", "ok", "error", "cancelled", "timeout", "delivered", "tool_error", or a list of them';
    expect(refusal('failed')).toEqual({
      code: 'invalid_request',
      field: 'filter.outcome',
      message: `listTraffic: "filter.outcome" ${takes}`,
    });
    expect(refusal(['error', 'failed']).message).toBe(`listTraffic: "filter.outcome" ${takes}`);
    expect(parseArgs('listTraffic', METHODS.listTraffic, [{ outcome: ['error', 'timeout'] }])).toEqual([
      { outcome: ['error', 'timeout'] },
    ]);
  });

  it('refuses a traffic window that ends before it starts, naming "since"', () => {
    for (const method of ['listTraffic', 'exportTraffic', 'getTrafficStats'] as const) {
      const spec = METHODS[method] as MethodSpec<unknown[]>;
      const args =
        method === 'exportTraffic' ? ['jsonl', { since: 2000, until: 1000 }] : [{ since: 2000, until: 1000 }];
      const param = method === 'getTrafficStats' ? 'query' : 'filter';
      expect(() => parseArgs(method, spec, args), method).toThrow(
        expect.objectContaining({
          field: `${param}.since`,
          message: `${method}: "${param}.since" is after "until": nothing could match`,
        }),
      );
      expect(
        parseArgs(
          method,
          spec,
          method === 'exportTraffic' ? ['jsonl', { since: 5, until: 5 }] : [{ since: 5, until: 5 }],
        ),
      ).toHaveLength(args.length);
    }
  });

  it("says a list is too short or too long in words, not in the validator's", () => {
    const lists: MethodSpec<[string[]]> = {
      channel: 'switchboard:y',
      http: { method: 'POST', path: '/y' },
      params: ['names'],
      args: z.tuple([z.array(z.string()).min(1).max(2)]),
    };
    const refusal = (names: string[]) => {
      try {
        parseArgs('y', lists, [names]);
      } catch (err) {
        return (err as GatewayApiError).message;
      }
      throw new Error('expected a failure');
    };
    expect(refusal([])).toBe('y: "names" must not be an empty list');
    expect(refusal(['a', 'b', 'c'])).toBe('y: "names" must have at most 2 items');
  });

  it('says how long a text too long is, beside how long it may be', () => {
    const spec = METHODS.saveProfile as MethodSpec<unknown[]>;
    expect(() => parseArgs('saveProfile', spec, ['p'.repeat(80), { servers: [] }])).toThrow(
      expect.objectContaining({
        field: 'name',
        message: 'saveProfile: "name" must be at most 64 characters (this one has 80)',
      }),
    );
  });

  it("says at a field what is wrong with it, without the method and the argument's path", () => {
    expect(fieldMessage(fails(['a', { n: 1.5 }]))).toBe('must be a whole number');
    // Past the safe integer range: it said "Too big: expected int to be <=9007199254740991".
    expect(fieldMessage(fails(['a', { n: 2 ** 60 }]))).toBe('must be at most 9007199254740991');
    expect(fieldMessage(fails(['']))).toBe('must not be empty');
    // A message of another making, or one without a field, is left as it is.
    expect(fieldMessage({ message: 'a server named "x" is already configured', field: 'name' })).toBe(
      'a server named "x" is already configured',
    );
    expect(fieldMessage({ message: 'x: "name" must not be empty', field: 'other' })).toBe(
      'x: "name" must not be empty',
    );
    expect(fieldMessage({ message: 'x takes 1 argument (name), got 0' })).toBe('x takes 1 argument (name), got 0');
  });

  it("says a config check's refusal at its field without the place in the file it names", () => {
    const at = (message: string, field = 'alias') => fieldMessage({ message, field });
    expect(at('mcpServers.fx.tools.aliases.big: aliases use letters')).toBe('aliases use letters');
    expect(at('mcpServers["has space"].handler: a FastCGI handler needs "entrypoint"', 'entrypoint')).toBe(
      'a FastCGI handler needs "entrypoint"',
    );
    expect(at('profiles.work.servers[0]: no such server', 'servers')).toBe('no such server');
    // Not a place in the file: as it is.
    expect(at('port 80 is in use: by another program')).toBe('port 80 is in use: by another program');
    expect(fieldMessage({ message: 'mcpServers.fx.command: must be text' })).toBe(
      'mcpServers.fx.command: must be text',
    );
  });
});
