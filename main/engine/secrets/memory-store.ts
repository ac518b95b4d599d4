/** A SecretStore kept in memory: for tests and for headless runs that inject secrets at start. */
import { assertSecretName, type SecretStore } from './store.ts';

export function createMemorySecretStore(initial?: Record<string, string> | Iterable<[string, string]>): SecretStore {
  const values = new Map<string, string>();
  const entries = initial === undefined ? [] : Symbol.iterator in initial ? initial : Object.entries(initial);
  for (const [name, value] of entries as Iterable<[string, string]>) {
    assertSecretName(name);
    values.set(name, value);
  }
  return {
    kind: 'memory',
    get: async (name) => values.get(name),
    set: async (name, value) => {
      assertSecretName(name);
      values.set(name, value);
    },
    delete: async (name) => values.delete(name),
    list: async () => [...values.keys()].sort(),
  };
}
