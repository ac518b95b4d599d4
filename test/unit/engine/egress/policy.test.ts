import { describe, expect, it } from 'vitest';
import { classifyAddress, refusal, urlRefusal } from '../../../../main/engine/egress/policy.ts';

describe('egress policy', () => {
  it('classifies addresses in every family and embedding', () => {
    const cases: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.9.9.9': 'loopback',
      '::1': 'loopback',
      '::ffff:127.0.0.1': 'loopback',
      '169.254.169.254': 'metadata',
      'fd00:ec2::254': 'metadata',
      '100.100.100.200': 'metadata',
      '::ffff:169.254.169.254': 'metadata',
      '64:ff9b::169.254.169.254': 'metadata',
      '2002:a9fe:a9fe::': 'metadata',
      '169.254.1.1': 'link-local',
      'fe80::1': 'link-local',
      'fe80::1%eth0': 'link-local',
      '10.0.0.1': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.1.1': 'private',
      '100.64.0.1': 'private',
      'fc00::1': 'private',
      'fd12:3456::1': 'private',
      '::ffff:10.0.0.1': 'private',
      '::ffff:c0a8:101': 'private',
      '0.0.0.0': 'private',
      '::': 'private',
      '224.0.0.1': 'private',
      '172.32.0.1': 'public',
      '100.128.0.1': 'public',
      '8.8.8.8': 'public',
      '2606:4700::1111': 'public',
    };
    for (const [address, kind] of Object.entries(cases))
      expect([address, classifyAddress(address)]).toEqual([address, kind]);
  });

  it('refuses link-local and metadata always, private and plain http beyond loopback unless opted in', () => {
    const closed = { allowPrivateNetwork: false };
    const open = { allowPrivateNetwork: true };
    expect(refusal('169.254.169.254', 'metadata.test', 'https:', open)).toMatch(/metadata.*never allowed/);
    expect(refusal('fe80::1', 'fe80::1', 'https:', open)).toMatch(/link-local.*never allowed/);
    expect(refusal('10.0.0.1', 'db.lan', 'https:', closed)).toMatch(/^db\.lan \(10\.0\.0\.1\) is a private network/);
    expect(refusal('10.0.0.1', 'db.lan', 'https:', open)).toBeUndefined();
    expect(refusal('203.0.113.9', 'api.test', 'http:', closed)).toMatch(/^plain http:\/\/ to api\.test/);
    expect(refusal('203.0.113.9', 'api.test', 'http:', open)).toBeUndefined();
    expect(refusal('203.0.113.9', 'api.test', 'https:', closed)).toBeUndefined();
    expect(refusal('127.0.0.1', 'localhost', 'http:', closed)).toBeUndefined();
  });

  it('reads decimal, octal and hex spellings of a URL as the address they are', () => {
    const closed = { allowPrivateNetwork: false };
    expect(urlRefusal('http://0251.0376.0251.0376/', closed)).toMatch(/169\.254\.169\.254 is a cloud metadata/);
    expect(urlRefusal('http://2852039166/', closed)).toMatch(/169\.254\.169\.254/);
    expect(urlRefusal('http://0xa9fea9fe/', closed)).toMatch(/169\.254\.169\.254/);
    expect(urlRefusal('https://3232235777/', closed)).toMatch(/192\.168\.1\.1 is a private network/);
    expect(urlRefusal('http://2130706433:8080/', closed)).toBeUndefined();
    expect(urlRefusal('https://METADATA.google.internal./x', closed)).toMatch(/cloud metadata service/);
    // Host names are judged when they are dialled.
    expect(urlRefusal('http://example.test/', closed)).toBeUndefined();
  });
});
