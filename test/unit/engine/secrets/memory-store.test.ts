import { describe, expect, it } from 'vitest';
import { createMemorySecretStore } from '../../../../main/engine/secrets/memory-store.ts';
import { GatewayError } from '../../../../main/engine/protocol/errors.ts';
import { describeSecretStore, isValidSecretName } from '../../../../main/engine/secrets/store.ts';

describe('createMemorySecretStore', () => {
  it('gets, sets, deletes and lists names sorted', async () => {
    const store = createMemorySecretStore({ b: '2', a: '1' });
    expect(store.kind).toBe('memory');
    expect(await store.get('a')).toBe('1');
    expect(await store.get('missing')).toBeUndefined();
    await store.set('c', '3');
    expect(await store.list()).toEqual(['a', 'b', 'c']);
    expect(await store.delete('b')).toBe(true);
    expect(await store.delete('b')).toBe(false);
    expect(await store.list()).toEqual(['a', 'c']);
  });

  it('accepts entries as an iterable too', async () => {
    const store = createMemorySecretStore(new Map([['token', 'x']]));
    expect(await store.get('token')).toBe('x');
  });

  it('refuses names a ${secret:NAME} reference could not spell', async () => {
    const store = createMemorySecretStore();
    await expect(store.set('has space', 'x')).rejects.toBeInstanceOf(GatewayError);
    await expect(store.set('has space', 'x')).rejects.toMatchObject({ code: 'invalid_request' });
    expect(() => createMemorySecretStore({ 'a}b': 'x' })).toThrow(/invalid secret name/);
    expect(isValidSecretName('github-token')).toBe(true);
    expect(isValidSecretName('team.api_key')).toBe(true);
    expect(isValidSecretName('-leading')).toBe(false);
  });

  it('describes where secrets were looked for', () => {
    expect(describeSecretStore({ kind: 'keychain' })).toBe('the keychain');
    expect(describeSecretStore({ kind: 'memory' })).toBe('the memory secret store');
  });
});
