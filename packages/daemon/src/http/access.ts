/**
 * Who may use the HTTP API (README, Security model), checked before any route runs, in
 * this order:
 *
 * 1. Host: the `Host` header must name this daemon (its bind address, the loopback names
 *    when it is bound to loopback or to every interface, and the --http-host names), all
 *    with its port; else 421 `misdirected`. A page on a rebound DNS name
 *    (attacker.example → 127.0.0.1) sends its own name and is refused.
 * 2. Origin: a request with an `Origin` header is served only when that origin is listed
 *    with --allow-origin (it then gets CORS headers naming exactly it), or is this
 *    daemon's own origin (`http://` + the accepted Host: the demo page it served);
 *    any other → 403 `forbidden_origin` (Kubo's rule). Operator tools send no Origin.
 * 3. Token: every API route but /bootstrap (and /metrics with --metrics-open) needs
 *    `Authorization: Bearer <token>`; else 401 `unauthorized` with `WWW-Authenticate`.
 *    Static demo files, /bootstrap and CORS preflights need none (a browser sends no
 *    credentials on a preflight).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CONTEXT_HEADER, HttpError } from './respond.js'

export interface AccessOptions {
  /** The bearer token (http-token.ts). */
  readonly token: string
  /** --allow-origin: origins (`scheme://host[:port]`) whose pages may call the API. */
  readonly allowOrigins: readonly string[]
  /** --http-host: further names (with or without a port) the Host header may carry. */
  readonly hostNames: readonly string[]
  /** --metrics-open: GET /metrics without the token (for a scraper without credentials). */
  readonly metricsOpen: boolean
}

export class Access {
  readonly #tokenDigest: Buffer
  readonly #origins: ReadonlySet<string>
  readonly #options: AccessOptions
  #hosts: ReadonlySet<string> = new Set()

  constructor (options: AccessOptions) {
    this.#options = options
    this.#tokenDigest = digest(options.token)
    this.#origins = new Set(options.allowOrigins.map((o) => o.toLowerCase()))
  }

  /** Called once listening: the port (0 resolved) and bind address decide the Host names. */
  bound (bindHost: string, port: number): void {
    this.#hosts = servedHosts(bindHost, port, this.#options.hostNames)
  }

  /** The Host names accepted, for messages and tests. */
  get hosts (): readonly string[] {
    return [...this.#hosts]
  }

  /**
   * Steps 1 and 2; for an allowed cross-origin page, sets its CORS headers on `res` (the
   * slower setHeader path, taken only by such pages: the hot path of clients without an
   * Origin writes one header object).
   */
  checkHostAndOrigin (req: IncomingMessage, res: ServerResponse): void {
    const origin = this.#allowedCrossOrigin(req)
    if (origin === undefined) return
    res.setHeader('Access-Control-Allow-Origin', origin)
    res.setHeader('Access-Control-Expose-Headers', CONTEXT_HEADER)
    res.setHeader('Vary', 'Origin')
  }

  /**
   * Whether the request passes all three steps, without touching a reply: a request with
   * `Expect: 100-continue` is invited to send its body only then.
   */
  allows (req: IncomingMessage, path: string): boolean {
    try {
      this.#allowedCrossOrigin(req)
      this.checkToken(req, path)
      return true
    } catch {
      return false
    }
  }

  /** Steps 1 and 2: the cross origin to name in CORS headers, undefined when there is none. */
  #allowedCrossOrigin (req: IncomingMessage): string | undefined {
    const host = (req.headers.host ?? '').toLowerCase()
    if (!this.#hosts.has(host)) {
      throw new HttpError(421, 'misdirected', `this daemon serves ${[...this.#hosts].join(', ')}, not Host '${host.slice(0, 100)}' (add a name with --http-host)`)
    }
    const origin = req.headers.origin
    if (origin === undefined) return undefined
    const lower = origin.toLowerCase()
    if (lower === `http://${host}`) return undefined
    if (!this.#origins.has(lower)) {
      throw new HttpError(403, 'forbidden_origin', `pages from ${origin.slice(0, 100)} may not call this API (allow an origin with --allow-origin)`)
    }
    return origin
  }

  /** Step 3 for `path`; a no-op on the open routes. */
  checkToken (req: IncomingMessage, path: string): void {
    if (!needsToken(path, this.#options.metricsOpen)) return
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    // Compared as SHA-256 digests: equal lengths for timingSafeEqual, and the time taken
    // says nothing about how much of a guess was right.
    if (match?.[1] !== undefined && timingSafeEqual(digest(match[1]), this.#tokenDigest)) return
    throw new HttpError(401, 'unauthorized', `${match === null ? 'missing' : 'wrong'} bearer token: send Authorization: Bearer <the token in the daemon's http-token file>`, {}, { 'WWW-Authenticate': 'Bearer realm="ringstore"' })
  }
}

/** The API routes; everything else is /bootstrap or the static demo. */
export function needsToken (path: string, metricsOpen: boolean): boolean {
  if (path === '/metrics') return !metricsOpen
  return path === '/status' || path.startsWith('/kv/') || path.startsWith('/replica/') || path.startsWith('/admin/')
}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

/** `host:port` strings (lowercase) the Host header may carry. */
export function servedHosts (bindHost: string, port: number, extra: readonly string[]): ReadonlySet<string> {
  const bind = bindHost.includes(':') ? `[${bindHost}]` : bindHost
  const names = [bind]
  // Bound to every interface, loopback included: the loopback names reach it too.
  if (isLoopback(bindHost) || bindHost === '0.0.0.0' || bindHost === '::') names.push(...LOOPBACK_NAMES)
  const hosts = new Set(names.map((n) => `${n.toLowerCase()}:${port}`))
  for (const name of extra) hosts.add(/:\d+$/.test(name) ? name.toLowerCase() : `${name.toLowerCase()}:${port}`)
  return hosts
}

export function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
