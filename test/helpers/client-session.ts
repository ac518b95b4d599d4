/** A real client Session for unit tests of routing parts, with everything it sends recorded. */
import { Session, type SessionHandler } from '../../main/engine/downstream/session.ts';
import type { JsonRpcMessage, RequestId } from '../../main/engine/protocol/jsonrpc.ts';

export interface ClientSession {
  session: Session;
  /** What the session sent its client, with the client request each message belongs to. */
  sent: { message: JsonRpcMessage; related: RequestId | undefined }[];
}

/** Routing parts under test are called directly, so the session's own handler does nothing. */
const idle: SessionHandler = {
  attach: () => undefined,
  detach: () => undefined,
  handle: () => Promise.resolve({}),
  handleNotification: () => undefined,
  serverCapabilities: () => ({}),
};

export function clientSession(
  fields: { capabilities?: Record<string, unknown>; name?: string; protocolVersion?: string } = {},
): ClientSession {
  const sent: ClientSession['sent'] = [];
  const session = new Session({
    profile: 'default',
    transport: 'stdio',
    send: (message, related) => sent.push({ message, related }),
    handler: idle,
    serverInfo: { name: 'switchboard', version: 'test' },
  });
  session.clientCapabilities = fields.capabilities ?? {};
  session.clientInfo = { name: fields.name ?? 'test-client', version: '1.0' };
  session.protocolVersion = fields.protocolVersion ?? '2025-11-25';
  // As if its initialize was answered: notifications go to it.
  session.greeted = true;
  return { session, sent };
}
