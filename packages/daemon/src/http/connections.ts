/**
 * Bounds on the HTTP server's TCP connections: how many may be open at once, and how long
 * one may sit idle. Without them a client that opens connections and never uses them holds
 * a file descriptor each until Node's own timers fire (~90 s): ~19,600 idle connections
 * exhausted a daemon's 20,000 fds, and every new client (and libp2p, which shares the fds)
 * failed until then.
 *
 * Over the bound, node:net closes a new connection as soon as it is accepted (its
 * `maxConnections`, the `drop` event): nothing is read from it, so it costs no parser and
 * no fd beyond that moment. It is counted, and logged at most once per LOG_EVERY_MS with the
 * bound's flag name, so an operator sees which limit was hit.
 *
 * Idle means no request in progress: a connection waiting for a request head, or kept
 * alive after a reply. Node's socket timeout measures silence on the wire; the `timeout`
 * handler below closes such a connection unless a reply is being prepared or written. A
 * head that trickles in byte by byte (slowloris) is not silent: `headersTimeout`, checked
 * every `connectionsCheckingInterval`, cuts it. So an abandoned or slowloris connection is
 * freed within about idleMs (plus a quarter of it).
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Logger } from '@ringstore/peer'

export interface ConnectionLimits {
  /** Open connections at most; 0 = no bound. */
  readonly maxConnections: number
  /** A connection idle this long, or a request head not complete after this long, is closed. */
  readonly idleMs: number
}

/** Node's default keep-alive wait (5 s) unless the idle bound is shorter. */
const KEEP_ALIVE_MS = 5_000

/** At most one "connection bound reached" line per this period: a flood must not flood the log too. */
const LOG_EVERY_MS = 10_000

export class ConnectionGuard {
  readonly #limits: ConnectionLimits
  readonly #log: Logger
  #open = 0
  #refused = 0
  #timedOut = 0
  #loggedAt = -Infinity
  /** Replies in progress per socket (a request arrived, its response not yet closed). */
  readonly #serving = new WeakMap<Socket, number>()

  constructor (limits: ConnectionLimits, log: Logger) {
    this.#limits = limits
    this.#log = log
  }

  /** The options createServer needs for these limits. */
  serverOptions (): Pick<ServerOptions, 'headersTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval'> {
    const idleMs = this.#limits.idleMs
    return {
      headersTimeout: idleMs,
      keepAliveTimeout: Math.min(KEEP_ALIVE_MS, idleMs),
      // Node checks headersTimeout on this period (default 30 s, which would let a slow
      // head live idleMs + 30 s).
      connectionsCheckingInterval: Math.max(250, Math.floor(idleMs / 4))
    }
  }

  attach (server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.#open++
      socket.once('close', () => { this.#open-- })
    })
    if (this.#limits.maxConnections > 0) server.maxConnections = this.#limits.maxConnections
    server.timeout = this.#limits.idleMs
    server.on('drop', () => { this.#dropped() })
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket
      this.#serving.set(socket, (this.#serving.get(socket) ?? 0) + 1)
      res.once('close', () => { this.#serving.set(socket, (this.#serving.get(socket) ?? 1) - 1) })
    })
    // With a `timeout` listener, node:http leaves the decision to us (without one it
    // destroys the socket even while a reply is being prepared).
    server.on('timeout', (socket: Socket) => {
      if ((this.#serving.get(socket) ?? 0) > 0) return
      this.#timedOut++
      socket.destroy()
    })
  }

  /** Connections open now. */
  get open (): number { return this.#open }

  get limit (): number { return this.#limits.maxConnections }
  get idleMs (): number { return this.#limits.idleMs }
  /** Connections closed on arrival because the bound was reached. */
  get refused (): number { return this.#refused }
  /** Connections closed because they sat idle past idleMs. */
  get timedOut (): number { return this.#timedOut }

  #dropped (): void {
    this.#refused++
    const now = performance.now()
    if (now - this.#loggedAt < LOG_EVERY_MS) return
    this.#loggedAt = now
    this.#log.warn('HTTP connection bound reached: new connections are closed on arrival', {
      limit: '--http-max-connections',
      maxConnections: this.#limits.maxConnections,
      refusedSoFar: this.#refused
    })
  }
}
