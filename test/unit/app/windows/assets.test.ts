import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAppAsset } from '../../../../main/app/windows/assets.ts';

const ROOT = resolve('/srv/app/renderer/dist');

describe('app scheme assets', () => {
  it('serves files of the renderer build with their content type', () => {
    expect(resolveAppAsset(ROOT, 'switchboard://app/')).toEqual({
      file: join(ROOT, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    });
    expect(resolveAppAsset(ROOT, 'switchboard://app/index.html?x=1#top')?.file).toBe(join(ROOT, 'index.html'));
    expect(resolveAppAsset(ROOT, 'switchboard://app/assets/index-abc.js')).toEqual({
      file: join(ROOT, 'assets', 'index-abc.js'),
      contentType: 'text/javascript; charset=utf-8',
    });
    expect(resolveAppAsset(ROOT, 'switchboard://app/assets/app%20x.css')?.file).toBe(join(ROOT, 'assets', 'app x.css'));
  });

  it('keeps dot segments inside the renderer build (the URL parser resolves them first)', () => {
    expect(resolveAppAsset(ROOT, 'switchboard://app/../../etc/passwd.json')?.file).toBe(
      join(ROOT, 'etc', 'passwd.json'),
    );
    expect(resolveAppAsset(ROOT, 'switchboard://app/%2e%2e/%2e%2e/etc/passwd.json')?.file).toBe(
      join(ROOT, 'etc', 'passwd.json'),
    );
  });

  it.each([
    'switchboard://app/assets/..%2f..%2f..%2fsecret.json',
    'switchboard://app/a%5c..%5c..%5csecret.json',
    'switchboard://app/index.html%00.png',
    'switchboard://app/%E0%A4%A',
    'switchboard://other/index.html',
    'https://app/index.html',
    'switchboard://app/config.sh',
    'switchboard://app/noextension',
    'not a url',
  ])('refuses %s', (url) => {
    expect(resolveAppAsset(ROOT, url)).toBeNull();
  });
});
