import { describe, expect, it } from 'vitest';
import { crashLine } from '../../../main/engine/crash-line.ts';

describe('crashLine', () => {
  it('picks the Error line of a Node crash, not the version banner', () => {
    const lines = [
      'file:///srv/index.js:3',
      "throw new Error('boom');",
      '^',
      '',
      'Error: boom',
      '    at file:///srv/index.js:3:7',
      '    at ModuleJob.run (node:internal/modules/esm/module_job:271:25)',
      '',
      'Node.js v24.21.0',
    ];
    expect(crashLine(lines)).toBe('Error: boom');
  });

  it('picks the module error of a missing module', () => {
    const lines = [
      'node:internal/modules/cjs/loader:1228',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module 'left-pad'",
      'Require stack:',
      '- /srv/index.cjs',
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15) {',
      "  code: 'MODULE_NOT_FOUND',",
      "  requireStack: [ '/srv/index.cjs' ]",
      '}',
      '',
      'Node.js v24.21.0',
    ];
    expect(crashLine(lines)).toBe("Error: Cannot find module 'left-pad'");
  });

  it('picks the exception line of a Python traceback, and coded Node errors', () => {
    expect(
      crashLine([
        'Traceback (most recent call last):',
        '  File "/srv/main.py", line 3, in <module>',
        '    raise ModuleNotFoundError("No module named \'mcp\'")',
        "ModuleNotFoundError: No module named 'mcp'",
      ]),
    ).toBe("ModuleNotFoundError: No module named 'mcp'");
    expect(crashLine(["Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'zod'", '', 'Node.js v22.1.0'])).toBe(
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'zod'",
    );
  });

  it('picks what npx says about a package that is not there, not where its log is', () => {
    const lines = [
      'npm error code E404',
      'npm error 404 Not Found - GET https://registry.npmjs.org/@modelcontextprotocol%2fserver-everythingg',
      'npm error 404',
      "npm error 404  The requested resource '@modelcontextprotocol/server-everythingg@*' could not be found",
      'npm error 404 tarball, folder, http url, or git url.',
      'npm error A complete log of this run can be found in: /home/me/.npm/_logs/2026-12-05T18_31_47_704Z-debug-0.log',
    ];
    expect(crashLine(lines)).toBe(
      'npm error 404 Not Found - GET https://registry.npmjs.org/@modelcontextprotocol%2fserver-everythingg',
    );
    expect(
      crashLine(['npm error code ENOTFOUND', 'npm error A complete log of this run can be found in: /x.log']),
    ).toBe('npm error code ENOTFOUND');
  });

  it('falls back to the last line that is not noise, and says nothing for none', () => {
    expect(crashLine(['listening', 'GITHUB_TOKEN is not set', '[switchboard] a note of ours'])).toBe(
      'GITHUB_TOKEN is not set',
    );
    expect(crashLine(['', 'Node.js v24.21.0'])).toBeUndefined();
  });
});
