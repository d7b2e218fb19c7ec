/**
 * Response helpers shared by the routes: JSON bodies, typed HTTP errors, CORS headers.
 * Every error reply is JSON `{"error":"<code>", ...}` with a stable code clients match on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

export const CONTEXT_HEADER = 'X-Ringstore-Context'

/** An error with its HTTP status and stable code; `fields` are merged into the JSON body. */
export class HttpError extends Error {
  static override name = 'HttpError'
  override name = 'HttpError'
  constructor (
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(message)
  }
}

/**
 * Permissive CORS: the demo (and any page) may call the API from the browser and read the
 * context header. The API holds no cookies or credentials, so `*` exposes nothing extra.
 */
export function setCorsHeaders (res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.setHeader('Access-Control-Expose-Headers', CONTEXT_HEADER)
}

export function sendPreflight (res: ServerResponse): void {
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, PUT, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': `Content-Type, ${CONTEXT_HEADER}`,
    'Access-Control-Max-Age': '600'
  })
  res.end()
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text))
  })
  res.end(text)
}

export function sendBytes (res: ServerResponse, status: number, bytes: Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(bytes.byteLength)
  })
  res.end(bytes)
}

export function sendEmpty (res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers)
  res.end()
}

export function sendError (res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.code, message: error.message, ...error.fields }, error.headers)
}

export function methodNotAllowed (req: IncomingMessage, allowed: readonly string[]): HttpError {
  return new HttpError(405, 'method_not_allowed', `${String(req.method)} is not allowed here; use ${allowed.join(', ')}`, {}, { Allow: [...allowed, 'OPTIONS'].join(', ') })
}
