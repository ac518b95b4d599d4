import { describe, expect, it } from 'vitest';
import { maskArgs, maskUrl } from '../../../../main/engine/secrets/looks-secret.ts';

describe('maskArgs and maskUrl: what a server runs, shown without its secrets', () => {
  it('masks the value of a secret-looking flag, given as --flag=value or as the next argument', () => {
    expect(maskArgs(['--token', 'ghp_abc', '--api-key=sk-1', '--verbose', '-p', '8080'], '***')).toEqual([
      '--token',
      '***',
      '--api-key=***',
      '--verbose',
      '-p',
      '8080',
    ]);
  });

  it('leaves references and ordinary arguments alone', () => {
    const args = ['--token', '${secret:gh}', '--password=${env:PW}', '-y', '@scope/server', 'stdio'];
    expect(maskArgs(args, '***')).toEqual(args);
  });

  it('masks a URL password and secret-looking query parameters, in arguments too', () => {
    expect(maskUrl('https://me:hunter2@example.com/mcp?api_key=k1&page=2', '***')).toBe(
      'https://me:***@example.com/mcp?api_key=***&page=2',
    );
    expect(maskArgs(['https://example.com/sse?token=t0'], 'X')).toEqual(['https://example.com/sse?token=X']);
    expect(maskUrl('https://example.com/mcp', '***')).toBe('https://example.com/mcp');
    expect(maskUrl('not a url', '***')).toBe('not a url');
  });
});
