/**
 * Our FastCGI client: records, CGI response parsing, connections, a bounded pool, and the client that ties them
 * together.
 */
export { FastcgiClient, type FastcgiClientOptions, type FastcgiRequest, type FastcgiResponse } from './client.ts';
export { FastcgiError, describeTarget, type FastcgiErrorKind, type FastcgiTarget } from './connection.ts';
export { parseCgiResponse, type CgiResponse } from './cgi-response.ts';
export type { PoolStats } from './pool.ts';
export { sharedFastcgiClient } from './shared.ts';
