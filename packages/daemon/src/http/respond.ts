/**
 * Response helpers shared by the routes: JSON bodies, typed HTTP errors, CORS headers.
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
 * Permissive CORS: the demo (and any page) may call the API from the browser and read the
 * context header. The API holds no cookies or credentials, so `*` exposes nothing extra.
 */
const CORS_ORIGIN = 'Access-Control-Allow-Origin'
const CORS_EXPOSE = 'Access-Control-Expose-Headers'

/**
 * For replies not written by the helpers below (static files, /metrics). The helpers put
 * the CORS headers into their one `writeHead` object instead: headers set beforehand with
 * `setHeader` send node:http down its slower path, which merges the two sets on every reply.
 */
export function setCorsHeaders (res: ServerResponse): void {
  res.setHeader(CORS_ORIGIN, '*')
  res.setHeader(CORS_EXPOSE, CONTEXT_HEADER)
}

export function sendPreflight (res: ServerResponse): void {
  res.writeHead(204, {
    [CORS_ORIGIN]: '*',
    [CORS_EXPOSE]: CONTEXT_HEADER,
    'Access-Control-Allow-Methods': 'GET, PUT, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': `Content-Type, ${CONTEXT_HEADER}`,
    'Access-Control-Max-Age': String(CORS_MAX_AGE_S)
  })
  res.end()
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    [CORS_ORIGIN]: '*',
    [CORS_EXPOSE]: CONTEXT_HEADER,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text))
  })
  res.end(text)
}

/** A 200 with a value and its context: the hot path of GET /kv, one header object, no spread. */
export function sendValue (res: ServerResponse, bytes: Uint8Array, context: string): void {
  res.writeHead(200, {
    [CORS_ORIGIN]: '*',
    [CORS_EXPOSE]: CONTEXT_HEADER,
    [CONTEXT_HEADER]: context,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(bytes.byteLength)
  })
  res.end(bytes)
}

/** A reply without a body, with the context of a write when there is one. */
export function sendEmpty (res: ServerResponse, status: number, context?: string): void {
  res.writeHead(status, context === undefined
    ? { [CORS_ORIGIN]: '*', [CORS_EXPOSE]: CONTEXT_HEADER }
    : { [CORS_ORIGIN]: '*', [CORS_EXPOSE]: CONTEXT_HEADER, [CONTEXT_HEADER]: context })
  res.end()
}

export function sendError (res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: error.code, message: error.message, ...error.fields }, error.headers)
}

export function methodNotAllowed (req: IncomingMessage, allowed: readonly string[]): HttpError {
  return new HttpError(405, 'method_not_allowed', `${String(req.method)} is not allowed here; use ${allowed.join(', ')}`, {}, { Allow: [...allowed, 'OPTIONS'].join(', ') })
}
