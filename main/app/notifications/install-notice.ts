/**
 * What the tray's "Install into" says once the entry is written: where, what to do next, and what the
 * write warned of (the backup of the client's file is not encrypted: no keychain holds its key), as
 * the Clients screen and `switchboard install` say it. The notification said only what to do next.
 */
import type { ClientChange } from '../../../preload/contract/index.ts';

export interface Notice {
  title: string;
  body: string;
}

/** A sentence of a warning or note the engine words in lower case without a full stop. */
const sentence = (text: string): string =>
  `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}`;

export function installNotice(change: ClientChange): Notice {
  const warnings = change.warnings ?? [];
  const done = change.written ? `Added to ${change.path}.` : `${change.path} already starts Switchboard.`;
  const next = change.note ? ` Next: ${change.note}${/[.!?]$/.test(change.note) ? '' : '.'}` : '';
  return {
    title: warnings.length === 0 ? 'Switchboard installed' : 'Switchboard installed, with a warning',
    body: [`${done}${next}`, ...warnings.map(sentence)].join(' '),
  };
}
