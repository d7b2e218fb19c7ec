/**
 * Response helpers shared by the routes: JSON bodies, typed HTTP errors, CORS preflights
 * (an allowed origin's CORS headers are set by access.ts before the route runs).
 * Every error reply is JSON `{"error":"<code>", ...}` with a stable code clients match on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CORS_MAX_AGE_S } from '../constants.js'

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
 * A CORS preflight. The origin's own headers (Allow-Origin, Expose-Headers) were set by
 * access.ts when it is allowed; a preflight from any other page never gets here (403), so
 * its browser refuses the real request.
 */
export function sendPreflight (res: ServerResponse): void {
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, PUT, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': `Authorization, Content-Type, ${CONTEXT_HEADER}`,
    'Access-Control-Max-Age': String(CORS_MAX_AGE_S)
  })
  res.end()
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text))
  })
  res.end(text)
}

/** A 200 with a value and its context: the hot path of GET /kv, one header object, no spread. */
export function sendValue (res: ServerResponse, bytes: Uint8Array, context: string): void {
  res.writeHead(200, {
    [CONTEXT_HEADER]: context,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(bytes.byteLength)
  })
  res.end(bytes)
}

/** A reply without a body, with the context of a write when there is one. */
export function sendEmpty (res: ServerResponse, status: number, context?: string): void {
  res.writeHead(status, context === undefined ? {} : { [CONTEXT_HEADER]: context })
  res.end()
}

export function sendError (res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.code, message: error.message, ...error.fields }, error.headers)
}

export function methodNotAllowed (req: IncomingMessage, allowed: readonly string[]): HttpError {
  return new HttpError(405, 'method_not_allowed', `${String(req.method)} is not allowed here; use ${allowed.join(', ')}`, {}, { Allow: [...allowed, 'OPTIONS'].join(', ') })
}
