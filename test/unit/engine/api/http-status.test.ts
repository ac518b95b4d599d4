import { describe, expect, it } from 'vitest';
import { httpStatusOf } from '../../../../main/engine/api/http-binding.ts';

describe('HTTP status of a control API error', () => {
  it('answers a refusal the user can act on as a client error, and only the unexpected as 500', () => {
    expect(httpStatusOf('unsafe_path')).toBe(409);
    expect(httpStatusOf('client_config_conflict')).toBe(409);
    expect(httpStatusOf('name_taken')).toBe(409);
    expect(httpStatusOf('already_configured')).toBe(409);
    expect(httpStatusOf('not_found')).toBe(404);
    expect(httpStatusOf('invalid_request')).toBe(400);
    expect(httpStatusOf('internal')).toBe(500);
  });
});
