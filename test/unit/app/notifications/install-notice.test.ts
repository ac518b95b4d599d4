import { describe, expect, it } from 'vitest';
import { installNotice } from '../../../../main/app/notifications/install-notice.ts';

describe('installNotice', () => {
  it('says where the entry went and what to do next', () => {
    expect(
      installNotice({
        path: '/home/u/.config/Claude/claude_desktop_config.json',
        written: true,
        note: 'quit Claude Desktop completely and start it again',
      }),
    ).toEqual({
      title: 'Switchboard installed',
      body:
        'Added to /home/u/.config/Claude/claude_desktop_config.json. ' +
        'Next: quit Claude Desktop completely and start it again.',
    });
  });

  it('says what the install warned of, as sentences after it, and in the title', () => {
    const notice = installNotice({
      path: '/home/u/.cursor/mcp.json',
      written: true,
      note: 'Cursor picks the change up in Settings > MCP (or restart it)',
      backupFile: '/state/backups/cursor-mcp.json',
      warnings: [
        'the backup of the original file is not encrypted (there is no keychain to hold its key); ' +
          'it is readable only by you (mode 0600)',
        'Node is older than 20.',
      ],
    });
    expect(notice.title).toBe('Switchboard installed, with a warning');
    expect(notice.body).toBe(
      'Added to /home/u/.cursor/mcp.json. Next: Cursor picks the change up in Settings > MCP (or restart it). ' +
        'The backup of the original file is not encrypted (there is no keychain to hold its key); ' +
        'it is readable only by you (mode 0600). Node is older than 20.',
    );
  });

  it('says nothing changed when the file already had the entry', () => {
    expect(installNotice({ path: '/home/u/.cursor/mcp.json', written: false }).body).toBe(
      '/home/u/.cursor/mcp.json already starts Switchboard.',
    );
  });
});
