/**
 * A small keep-alive HTTP client on node:http (no dependency): one Agent per load
 * generator, requests with a timeout so a hung daemon fails the run instead of hanging it.
 */
import { Agent, request } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'

export interface HttpReply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

export interface Endpoint {
  readonly hostname: string
  readonly port: number
  /**
   * `Bearer <token>` for a daemon's API (read once from its token file, so every request
   * costs the same one header); absent for a plain HTTP server (the floor's echo).
   */
  readonly authorization?: string
}

/** A request taking longer than this is an error (the daemon's own timeouts are ~1 s). */
export const HTTP_TIMEOUT_MS = 30_000

export function endpointOf (url: string, token?: string): Endpoint {
  const parsed = new URL(url)
  return { hostname: parsed.hostname, port: Number(parsed.port), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) }
}

export function keepAliveAgent (maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' })
}

export async function httpRequest (
  agent: Agent, to: Endpoint, method: string, path: string,
  body?: Uint8Array, headers: Record<string, string> = {}
): Promise<HttpReply> {
  const withAuth = to.authorization === undefined ? headers : { ...headers, authorization: to.authorization }
  return new Promise<HttpReply>((resolve, reject) => {
    const req = request({
      agent,
      hostname: to.hostname,
      port: to.port,
      method,
      path,
      headers: body === undefined ? withAuth : { ...withAuth, 'content-length': String(body.byteLength) },
      timeout: HTTP_TIMEOUT_MS
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no reply within ${HTTP_TIMEOUT_MS} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

/** GET a JSON document (e.g. /status); throws on a non-200 reply. */
export async function getJson (agent: Agent, to: Endpoint, path: string): Promise<unknown> {
  const reply = await httpRequest(agent, to, 'GET', path)
  if (reply.status !== 200) throw new Error(`GET ${path}: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 200)}`)
  return JSON.parse(reply.body.toString('utf8')) as unknown
}
