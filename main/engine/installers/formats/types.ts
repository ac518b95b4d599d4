/** The one interface every client file format implements: read the server map, set or remove one entry. */

export interface FormatEditor {
  /**
   * The server entries, in file order, as plain values. Throws GatewayError('config_invalid')
   * naming file, line and column when the text cannot be parsed or has the wrong shape.
   */
  read(body: string, file: string): [string, unknown][];
  /** The text with entry `name` set to `value` (added or replaced); everything else kept byte for byte. */
  set(body: string, file: string, name: string, value: unknown, eol: string): string;
  /** The text without entry `name` (unchanged if it has none). */
  remove(body: string, file: string, name: string, eol: string): string;
}
