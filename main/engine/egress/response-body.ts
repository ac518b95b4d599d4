/** A fetch Response around another body: read whole, or checked as it streams in. */

/** Statuses whose responses have no body (a Response with one cannot be built). */
export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304]);

/** A response like `original` (status, headers, URL) with another body. */
export function rebuilt(original: Response, body: ReadableStream<Uint8Array> | Buffer | null): Response {
  const response = new Response(body, {
    status: original.status,
    statusText: original.statusText,
    headers: original.headers,
  });
  // Callers (the SDK among them) name a redirect's target from the response's URL.
  Object.defineProperty(response, 'url', { value: original.url });
  return response;
}
