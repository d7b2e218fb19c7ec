/**
 * The HTTP API on node:http. Routes: /kv/{key} (GET, PUT, DELETE; at most --max-inflight
 * in progress, beyond that 503 `overloaded` at once: admission.ts), /status, /metrics,
 * /replica/{key} (diagnostic), /admin/leave (operator routes: admin.ts), the open
 * /bootstrap (what the demo page needs), OPTIONS everywhere (CORS preflight), and any
 * other GET/HEAD from the built demo (static.ts). Every request first passes access.ts
 * (Host 421, Origin 403, bearer token 401).
 * Every failure is a JSON reply with a stable error code; nothing a client sends can throw
 * out of here (a bug becomes a logged 500), and malformed HTTP itself (bad request line,
 * oversized headers) gets a JSON 400/431 from the `clientError` handler.
 */
import { createServer, STATUS_CODES } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Admission as Certificate, PeerId } from '@ringstore/core'
import type { NetworkStats } from '@ringstore/net-libp2p'
import type { Logger, Operation, Peer } from '@ringstore/peer'
import type { HostPort } from '../args.js'
import type { Leave } from '../leave.js'
import { LOGGED_URL_CHARS, MAX_HEADER_BYTES, REQUEST_TIMEOUT_MS, SHUTDOWN_GRACE_MS } from '../constants.js'
import { Access } from './access.js'
import type { AccessOptions } from './access.js'
import { Admission } from './admission.js'
import { handleAdmin } from './admin.js'
import { ClientAbortedError, discardRestOfBody } from './body.js'
import { ConnectionGuard } from './connections.js'
import type { ContextSeal } from './context-seal.js'
import type { ConnectionLimits } from './connections.js'
import { toHttpError } from './errors.js'
import { decodeKey, handleKv } from './kv.js'
import { EventLoopDelay } from './event-loop-delay.js'
import { GcPauses } from './gc-pauses.js'
import { renderMetrics } from './metrics-route.js'
import { splitTarget } from './query.js'
import { RequestMetrics } from './request-metrics.js'
import { HttpError, methodNotAllowed, sendError, sendJson, sendPreflight } from './respond.js'
import { bootstrapBody, replicaBody, statusBody } from './status.js'
import { isStaticRequest, serveStatic, staticRoot } from './static.js'

export interface HttpApiDeps {
  readonly peer: Peer
  readonly network: NetworkStats
  readonly cluster: string
  /** The cluster id (its authority's public key): what a page checks members' certificates against. */
  readonly clusterId: string
  readonly maxBodyBytes: number
  /** Bound on /kv requests in progress (0 = none); see admission.ts. */
  readonly maxInflight: number
  readonly addrs: () => string[]
  readonly connected: () => string[]
  /** The certificate each member's record carries (Peer.admissionOf). */
  readonly admissions: { get (peer: PeerId): Certificate | undefined }
  /** This daemon's leave (POST /admin/leave). */
  readonly leave: Leave
  /** Token, allowed origins, Host names (access.ts). */
  readonly access: AccessOptions
  /** Seals and checks the contexts of /kv (context-seal.ts). */
  readonly contexts: ContextSeal
  /** Open connections and idle time (connections.ts). */
  readonly connections: ConnectionLimits
  readonly log: Logger
}

export interface HttpApi {
  readonly server: Server
  readonly metrics: RequestMetrics
  readonly admission: Admission
  readonly access: Access
  readonly connections: ConnectionGuard
  readonly loopDelay: EventLoopDelay
  readonly gcPauses: GcPauses
  /** Resolves with the base URL once listening. */
  listen (at: HostPort): Promise<string>
  /** Stop accepting, let in-flight requests finish (bounded), close every connection. */
  close (): Promise<void>
}

export function createHttpApi (deps: HttpApiDeps): HttpApi {
  const metrics = new RequestMetrics()
  const admission = new Admission(deps.maxInflight)
  const access = new Access(deps.access)
  const connections = new ConnectionGuard(deps.connections, deps.log)
  const loopDelay = new EventLoopDelay()
  loopDelay.start()
  const gcPauses = new GcPauses()
  gcPauses.start()
  const ctx: ServeContext = { deps, metrics, admission, access, connections, loopDelay, gcPauses }
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: REQUEST_TIMEOUT_MS, ...connections.serverOptions() }, (req, res) => {
    void serve(ctx, req, res)
  })
  connections.attach(server)
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => { answerClientError(error, socket) })
  // `Expect: 100-continue` (curl sends it above 1 KiB): invite the body only if it may be
  // accepted; an oversized one gets its 413 (from readBody's length check), one that
  // would be shed its 503, and one without the token (or from a refused Host or Origin)
  // its refusal, without ever being sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const fits = !(Number(req.headers['content-length']) > deps.maxBodyBytes) && !admission.full()
    if (fits && access.allows(req, (req.url ?? '').split('?')[0] ?? '')) res.writeContinue()
    void serve(ctx, req, res)
  })
  return {
    server,
    metrics,
    admission,
    access,
    connections,
    loopDelay,
    gcPauses,
    listen: async (at) => await listen(server, at, access),
    close: async () => {
      loopDelay.stop()
      gcPauses.stop()
      await close(server)
    }
  }
}

interface ServeContext {
  readonly deps: HttpApiDeps
  readonly metrics: RequestMetrics
  readonly admission: Admission
  readonly access: Access
  readonly connections: ConnectionGuard
  readonly loopDelay: EventLoopDelay
  readonly gcPauses: GcPauses
}

async function serve ({ deps, metrics, admission, access, connections, loopDelay, gcPauses }: ServeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now()
  let op: Operation | null = null
  res.on('finish', () => { metrics.observe(op, res.statusCode, (performance.now() - started) / 1000) })
  try {
    const { path, query } = splitTarget(req.url ?? '')
    access.checkHostAndOrigin(req, res)
    if (req.method === 'OPTIONS') {
      sendPreflight(res)
      return
    }
    access.checkToken(req, path)
    if (path.startsWith('/kv/')) {
      op = operationOf(req.method)
      admission.admit(res)
      await handleKv(deps, req, res, path.slice('/kv/'.length), query)
    } else if (path === '/status') {
      onlyGet(req, query)
      sendJson(res, 200, statusBody(deps))
    } else if (path === '/metrics') {
      onlyGet(req, query)
      const text = renderMetrics({ peer: deps.peer, network: deps.network, requests: metrics, admission, connections, loopDelay, gcPauses })
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) })
      res.end(text)
    } else if (path.startsWith('/replica/')) {
      onlyGet(req, query)
      sendJson(res, 200, await replicaBody(deps.peer, decodeKey(path.slice('/replica/'.length))))
    } else if (path.startsWith('/admin/')) {
      await handleAdmin(deps, req, res, path, query)
    } else if (path === '/bootstrap') {
      onlyGet(req, query)
      sendJson(res, 200, bootstrapBody(deps))
    } else if (isStaticRequest(req.method)) {
      await serveStatic(staticRoot(), req, res, path)
    } else {
      throw new HttpError(404, 'not_found', 'no such route; see /kv/{key}, /status, /bootstrap, /metrics')
    }
  } catch (error) {
    fail(deps.log, req, res, error)
  } finally {
    discardRestOfBody(req)
  }
}

function fail (log: Logger, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (error instanceof ClientAbortedError) {
    res.destroy()
    return
  }
  let reply = toHttpError(error)
  if (reply === null) {
    log.error('request failed unexpectedly', { method: req.method, url: req.url?.slice(0, LOGGED_URL_CHARS), error })
    reply = new HttpError(500, 'internal', 'internal error (logged)')
  }
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendError(res, reply)
}

function operationOf (method: string | undefined): Operation | null {
  return method === 'GET' ? 'get' : method === 'PUT' ? 'put' : method === 'DELETE' ? 'delete' : null
}

function onlyGet (req: IncomingMessage, query: URLSearchParams): void {
  if (req.method !== 'GET') throw methodNotAllowed(req, ['GET'])
  if ([...query.keys()].length > 0) throw new HttpError(400, 'bad_query', 'this route takes no query parameters')
}

/** Malformed HTTP never reaches a handler: answer it with JSON ourselves and hang up. */
function answerClientError (error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const code = status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_request'
  const body = JSON.stringify({ error: code, message: status === 431 ? `request headers exceed ${MAX_HEADER_BYTES} bytes` : 'malformed HTTP request' })
  // Destroyed once the reply is flushed: node:http's sockets are half-open, so end() alone
  // would leave a client that keeps sending (a slowloris head) holding the fd.
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => { socket.destroy() })
}

async function listen (server: Server, at: HostPort, access: Access): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => { reject(error) }
    server.once('error', onError)
    server.listen(at.port, at.host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('HTTP server has no TCP address')
  access.bound(at.host, address.port)
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

async function close (server: Server): Promise<void> {
  if (!server.listening) return
  const closed = new Promise<void>((resolve) => server.close(() => { resolve() }))
  server.closeIdleConnections()
  const timer = setTimeout(() => { server.closeAllConnections() }, SHUTDOWN_GRACE_MS)
  try {
    await closed
  } finally {
    clearTimeout(timer)
  }
}
