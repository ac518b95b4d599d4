import { describe, expect, it } from 'vitest';
import {
  disambiguatedName,
  fitName,
  isValidExposedName,
  MAX_REMEMBERED_NAMES,
  NameBook,
  nameKey,
  namespacedName,
} from '../../../../main/engine/routing/naming.ts';
import { compileFilter } from '../../../../main/engine/routing/filters.ts';
import { matchesTemplate } from '../../../../main/engine/routing/uri-template.ts';

describe('exposed names', () => {
  it('namespaces as server__tool', () => {
    expect(namespacedName('github', 'create_issue', '__')).toBe('github__create_issue');
    expect(namespacedName('gh', 'x', '-')).toBe('gh-x');
  });

  it('replaces characters strict clients reject, adding a hash of the server and the original name', () => {
    const name = namespacedName('my.server', 'tool name/v2', '__');
    expect(name).toMatch(/^my_server__tool_name_v2_[0-9a-f]{8}$/);
    expect(isValidExposedName(name)).toBe(true);
    // Two originals that sanitise alike never meet, and neither depends on the other.
    expect(namespacedName('my_server', 'tool_name_v2', '__')).toBe('my_server__tool_name_v2');
    expect(namespacedName('my.server', 'tool.name/v2', '__')).not.toBe(name);
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

describe('name book', () => {
  const claim = (server: string, original: string, wanted: string) => ({ server, original, wanted });

  it('settles a clash the same way whatever the list order', () => {
    const one = new NameBook().assign([claim('b', 'x', 'same'), claim('a', 'y', 'same')]);
    const two = new NameBook().assign([claim('a', 'y', 'same'), claim('b', 'x', 'same')]);
    expect([...one.entries()].sort()).toEqual([...two.entries()].sort());
    expect(new Set(one.values()).size).toBe(2);
  });

  it('never hands a given name to another item, even while its holder is not listed', () => {
    const book = new NameBook();
    const first = book.assign([claim('z', 'late', 'wanted')]);
    expect(first.get(nameKey('z', 'late'))).toBe('wanted');
    // The holder is not in this listing (its server is down): a newcomer still gets another name.
    const second = book.assign([claim('a', 'early', 'wanted')]);
    expect(second.get(nameKey('a', 'early'))).not.toBe('wanted');
    const both = book.assign([claim('a', 'early', 'wanted'), claim('z', 'late', 'wanted')]);
    expect(both.get(nameKey('z', 'late'))).toBe('wanted');
    expect(both.get(nameKey('a', 'early'))).toBe(second.get(nameKey('a', 'early')));
  });

  it('forgets the names of servers that left the profile', () => {
    const book = new NameBook();
    book.assign([claim('gone', 'x', 'name')]);
    book.retain(new Set(['other']), new Set());
    expect(book.assign([claim('other', 'y', 'name')]).get(nameKey('other', 'y'))).toBe('name');
  });

  it('remembers at most MAX_REMEMBERED_NAMES past those in use, for a server that renames its tools every list', () => {
    const book = new NameBook();
    // Two claims want one name: the second gets a hashed form, which must stay as long as it is listed.
    const kept = [claim('s', 'a', 'shared'), claim('s', 'b', 'shared')];
    const first = book.assign(kept);
    for (let round = 0; round < 25; round++) {
      const fresh = Array.from({ length: 1000 }, (_, i) => claim('s', `r${round}_${i}`, `s__r${round}_${i}`));
      const listed = [...kept, ...fresh];
      const names = book.assign(listed);
      book.retain(new Set(['s']), new Set(names.keys()));
      expect(book.size).toBeLessThanOrEqual(MAX_REMEMBERED_NAMES + listed.length);
      expect(names.get(nameKey('s', 'b'))).toBe(first.get(nameKey('s', 'b')));
    }
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
