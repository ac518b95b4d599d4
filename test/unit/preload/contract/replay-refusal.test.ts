import { describe, expect, it } from 'vitest';
import { replayRefusal } from '../../../../preload/contract/index.ts';

describe('replayRefusal: whether a recorded request is still what was sent (the gateway and the UI share it)', () => {
  it('lets a whole request through, and one without params', () => {
    for (const json of ['{"name":"echo","arguments":{"text":"redacted, or [redacted"}}', 'null'])
      expect(replayRefusal({ json, bytes: json.length }), json).toBeUndefined();
    expect(replayRefusal({ bytes: 0 })).toBeUndefined();
  });

  it('refuses text cut at the size limit, saying how large it was', () => {
    expect(replayRefusal({ json: '{"a":"xx…[truncated: 9000 bytes in all]', bytes: 9000, truncated: true })).toBe(
      'was recorded cut (9000 bytes in all), so it cannot be sent again',
    );
  });

  it('refuses text with a secret taken out, whichever placeholder stands for it', () => {
    for (const json of [
      '{"arguments":{"password":"[redacted]"}}',
      '{"uri":"https://[redacted:url-credentials]@host/x"}',
      '{"text":"key [redacted:api-key] here"}',
    ])
      expect(replayRefusal({ json, bytes: 100 }), json).toMatch(/^had secrets taken out when it was recorded/);
  });
});
