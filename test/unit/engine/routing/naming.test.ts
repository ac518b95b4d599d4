import { describe, expect, it } from 'vitest';
import {
  disambiguatedName,
  fitName,
  isValidExposedName,
  namespacedName,
} from '../../../../main/engine/routing/naming.ts';
import { compileFilter } from '../../../../main/engine/routing/filters.ts';
import { matchesTemplate } from '../../../../main/engine/routing/uri-template.ts';

describe('exposed names', () => {
  it('namespaces as server__tool', () => {
    expect(namespacedName('github', 'create_issue', '__')).toBe('github__create_issue');
    expect(namespacedName('gh', 'x', '.')).toBe('gh_x');
  });

  it('replaces characters strict clients reject', () => {
    const name = namespacedName('my.server', 'tool name/v2', '__');
    expect(name).toBe('my_server__tool_name_v2');
    expect(isValidExposedName(name)).toBe(true);
  });

  it('shortens long names deterministically with a hash, keeping distinct originals distinct', () => {
    const long = 'a'.repeat(80);
    const one = namespacedName('server', long, '__');
    const again = namespacedName('server', long, '__');
    const other = namespacedName('server', `${long}b`, '__');
    expect(one).toHaveLength(64);
    expect(isValidExposedName(one)).toBe(true);
    expect(one).toBe(again);
    expect(one).not.toBe(other);
  });

  it('disambiguates a collision without shadowing', () => {
    const a = fitName('x__y');
    const b = disambiguatedName(a, 'other', 'y');
    expect(b).not.toBe(a);
    expect(isValidExposedName(b)).toBe(true);
  });
});

describe('filters', () => {
  it('applies allow and deny globs and aliases', () => {
    const f = compileFilter({ allow: ['read_*', 'list'], deny: ['read_secret'], aliases: { list: 'ls' } });
    expect(f.includes('read_file')).toBe(true);
    expect(f.includes('read_secret')).toBe(false);
    expect(f.includes('write_file')).toBe(false);
    expect(f.alias('list')).toBe('ls');
    expect(f.alias('read_file')).toBeUndefined();
    expect(compileFilter(undefined).includes('anything')).toBe(true);
  });
});

describe('URI templates', () => {
  it('matches simple, reserved and query expansions', () => {
    expect(matchesTemplate('demo://resource/dynamic/text/{id}', 'demo://resource/dynamic/text/42')).toBe(true);
    expect(matchesTemplate('demo://resource/dynamic/text/{id}', 'demo://resource/dynamic/text/4/2')).toBe(false);
    expect(matchesTemplate('file://{+path}', 'file:///etc/hosts')).toBe(true);
    expect(matchesTemplate('api://items{?page,limit}', 'api://items?page=2')).toBe(true);
    expect(matchesTemplate('api://items{?page,limit}', 'api://other')).toBe(false);
  });
});

describe('URI templates from hostile backends', () => {
  it('match quickly even with many adjacent or reserved expressions', () => {
    const started = process.hrtime.bigint();
    expect(matchesTemplate('x://{+a}{+a}{+a}{+a}{+a}{+a}{+a}{+a}!', `x://${'a'.repeat(60)}`)).toBe(false);
    expect(matchesTemplate('x://{a}{b}{c}{d}{e}{f}{g}{h}!', `x://${'a'.repeat(60)}`)).toBe(false);
    expect(matchesTemplate('x://{+a}/{+b}/{+c}/{+d}/{+e}/{+f}/{+g}/{+h}!', `x://${'a/'.repeat(500)}`)).toBe(false);
    expect(matchesTemplate('x://{a}{b}', 'x://ab')).toBe(true);
    // Generous bound: a backtracking blow-up takes seconds to minutes, not milliseconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });
});
