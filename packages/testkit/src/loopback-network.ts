/**
 * An in-process Network for the engine's own tests: endpoints share a hub, every started
 * endpoint is connected to every other, delivery is instant (a microtask) and messages are
 * deep-copied (structuredClone) so peers never share objects. Tests cut links with
 * `block` (requests fail at once with PeerUnreachableError, like a refused connection) or
 * `stall` (requests go unanswered and time out on the hub's clock), and `crash` an endpoint.
 * The simulator has its own network with delays and loss; this one is deliberately plain.
 *
 * @example
 * const clock = new ManualClock()
 * const hub = new LoopbackHub(clock)
 * const a = hub.network('a'); const b = hub.network('b')
 * hub.block('a', 'b')
 */
import type { PeerId, Request, Response, SignedRecord, SignedRemoval } from '@ringstore/core'
import { decodeFrame, encodeFrame, keyHash } from '@ringstore/core'
import { PeerUnreachableError, RequestTimeoutError } from '@ringstore/peer'
import type { Clock, Network, NetworkHandlers, Signer } from '@ringstore/peer'

type LinkState = 'open' | 'blocked' | 'stalled'

const linkId = (a: PeerId, b: PeerId): string => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`)

export interface LoopbackOptions {
  /**
   * Carry every request and response as a wire frame (core's encodeFrame / decodeFrame), as
   * the libp2p network does, so the frame bound (LIMITS.frameBytes) applies: a request that
   * does not encode fails at its sender, a response that does not encode is answered
   * `internal` and recorded in `unencodable`. Off: messages are deep-copied objects.
   */
  readonly frames?: boolean
}

export class LoopbackHub {
  readonly clock: Clock
  readonly frames: boolean
  readonly #endpoints = new Map<PeerId, LoopbackNetwork>()
  readonly #links = new Map<string, LinkState>()
  #lose: ((from: PeerId, to: PeerId, request: Request) => boolean) | null = null
  /** Every request delivered, in order: lets tests check who talked to whom. */
  readonly sent: Array<{ from: PeerId, to: PeerId, type: Request['type'] }> = []
  /** With `frames`: every response that did not encode (the libp2p network logs "response does not encode"). */
  readonly unencodable: Array<{ from: PeerId, to: PeerId, type: Response['type'], error: string }> = []

  constructor (clock: Clock, options: LoopbackOptions = {}) {
    this.clock = clock
    this.frames = options.frames === true
  }

  /** `request` as the receiver gets it: a deep copy, or with `frames` the decoded frame (throws CodecError). */
  carryRequest (request: Request): Request {
    if (!this.frames) return structuredClone(request)
    const frame = decodeFrame(encodeFrame({ kind: 'request', id: 1, request }))
    if (frame.kind !== 'request') throw new Error('loopback: a request frame decoded as a response')
    return frame.request
  }

  /** `response` as the asker gets it; with `frames`, one that does not encode becomes `internal`. */
  carryResponse (from: PeerId, to: PeerId, response: Response): Response {
    if (!this.frames) return structuredClone(response)
    let bytes: Uint8Array
    try {
      bytes = encodeFrame({ kind: 'response', id: 1, response })
    } catch (error) {
      this.unencodable.push({ from, to, type: response.type, error: String(error) })
      bytes = encodeFrame({ kind: 'response', id: 1, response: { type: 'error', code: 'internal', message: 'response does not encode' } })
    }
    const frame = decodeFrame(bytes)
    if (frame.kind !== 'response') throw new Error('loopback: a response frame decoded as a request')
    return frame.response
  }

  /** A fresh endpoint for `id` (replacing a crashed or stopped one). */
  network (id: PeerId): LoopbackNetwork {
    const current = this.#endpoints.get(id)
    if (current?.started === true) throw new Error(`loopback endpoint ${id} is already running`)
    const endpoint = new LoopbackNetwork(this, id)
    this.#endpoints.set(id, endpoint)
    return endpoint
  }

  /** Cut the link both ways: requests fail at once, connection events fire. */
  block (a: PeerId, b: PeerId): void {
    this.#setLink(a, b, 'blocked')
  }

  /**
   * Requests for which `filter` is true are lost on the way and time out, as on a stalled
   * link, while the link stays up for everything else (so no failure detector notices);
   * `null` loses none.
   */
  lose (filter: ((from: PeerId, to: PeerId, request: Request) => boolean) | null): void {
    this.#lose = filter
  }

  /** Whether `request` from `from` to `to` is to be lost (see lose). */
  loses (from: PeerId, to: PeerId, request: Request): boolean {
    return this.#lose !== null && this.#lose(from, to, request)
  }

  /** Requests across the link go unanswered and time out. */
  stall (a: PeerId, b: PeerId): void {
    this.#setLink(a, b, 'stalled')
  }

  unblock (a: PeerId, b: PeerId): void {
    this.#setLink(a, b, 'open')
  }

  /** Block every link of `id`. */
  isolate (id: PeerId): void {
    for (const other of this.#endpoints.keys()) if (other !== id) this.block(id, other)
  }

  /** Open every link. */
  healAll (): void {
    for (const a of this.#endpoints.keys()) for (const b of this.#endpoints.keys()) if (a < b) this.unblock(a, b)
  }

  /** The endpoint stops at once without a goodbye: in-flight requests to it fail. */
  crash (id: PeerId): void {
    this.#endpoints.get(id)?.halt()
  }

  link (a: PeerId, b: PeerId): LinkState {
    return this.#links.get(linkId(a, b)) ?? 'open'
  }

  /** A live endpoint reachable from `from` (the link is open and both are started). */
  connected (from: PeerId, to: PeerId): boolean {
    const a = this.#endpoints.get(from)
    const b = this.#endpoints.get(to)
    return from !== to && a?.started === true && b?.started === true && this.link(from, to) === 'open'
  }

  endpoint (id: PeerId): LoopbackNetwork | undefined {
    const endpoint = this.#endpoints.get(id)
    return endpoint?.started === true ? endpoint : undefined
  }

  peers (): PeerId[] {
    return [...this.#endpoints.keys()]
  }

  /** Called by an endpoint that came up or went down: tell both sides of every open link. */
  announceConnectivity (id: PeerId, up: boolean): void {
    for (const [other, endpoint] of this.#endpoints) {
      if (other === id || !endpoint.started || this.link(id, other) !== 'open') continue
      const self = this.#endpoints.get(id)
      if (up) {
        endpoint.emitConnection(id, true)
        self?.emitConnection(other, true)
      } else {
        endpoint.emitConnection(id, false)
      }
    }
  }

  #setLink (a: PeerId, b: PeerId, state: LinkState): void {
    const before = this.link(a, b)
    if (before === state) return
    this.#links.set(linkId(a, b), state)
    const wasUp = before === 'open'
    const isUp = state === 'open'
    if (wasUp === isUp) return
    const ea = this.endpoint(a)
    const eb = this.endpoint(b)
    if (ea === undefined || eb === undefined) return
    ea.emitConnection(b, isUp)
    eb.emitConnection(a, isUp)
  }
}

export class LoopbackNetwork implements Network {
  readonly localPeer: PeerId
  readonly #hub: LoopbackHub
  #handlers: NetworkHandlers | undefined
  /** Rejecters of requests this endpoint is waiting on, failed when it halts. */
  readonly #inFlight = new Set<(error: Error) => void>()

  constructor (hub: LoopbackHub, id: PeerId) {
    this.#hub = hub
    this.localPeer = id
  }

  get started (): boolean {
    return this.#handlers !== undefined
  }

  async start (handlers: NetworkHandlers): Promise<void> {
    if (this.#handlers !== undefined) throw new Error(`loopback endpoint ${this.localPeer} already started`)
    this.#handlers = handlers
    this.#hub.announceConnectivity(this.localPeer, true)
  }

  async stop (): Promise<void> {
    this.halt()
  }

  /** Stop without waiting: drop handlers, fail own in-flight requests, tell the others. */
  halt (): void {
    if (this.#handlers === undefined) return
    this.#handlers = undefined
    for (const reject of this.#inFlight) reject(new PeerUnreachableError(this.localPeer, 'local endpoint stopped'))
    this.#inFlight.clear()
    this.#hub.announceConnectivity(this.localPeer, false)
  }

  request (peer: PeerId, request: Request, timeoutMs: number): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      let done = false
      const finish = (fn: () => void): void => {
        if (done) return
        done = true
        this.#inFlight.delete(fail)
        fn()
      }
      const fail = (error: Error): void => finish(() => reject(error))
      if (!this.started) return reject(new PeerUnreachableError(peer, 'local endpoint not started'))
      this.#inFlight.add(fail)
      if (this.#hub.link(this.localPeer, peer) === 'stalled' || this.#hub.loses(this.localPeer, peer, request)) {
        this.#hub.clock.setTimer(timeoutMs, () => fail(new RequestTimeoutError(peer, timeoutMs)))
        return
      }
      const target = this.#hub.connected(this.localPeer, peer) ? this.#hub.endpoint(peer) : undefined
      if (target === undefined) return fail(new PeerUnreachableError(peer, 'no route (loopback)'))
      let copy: Request
      try {
        copy = this.#hub.carryRequest(request)
      } catch (error) {
        return fail(error instanceof Error ? error : new Error(String(error)))
      }
      this.#hub.sent.push({ from: this.localPeer, to: peer, type: request.type })
      queueMicrotask(() => {
        target.deliver(this.localPeer, copy).then(
          (response) => finish(() => resolve(this.#hub.carryResponse(peer, this.localPeer, response))),
          (error: unknown) => fail(error instanceof Error ? error : new Error(String(error)))
        )
      })
    })
  }

  /** Run our handler for an incoming request (the peer's handler never throws by contract). */
  async deliver (from: PeerId, request: Request): Promise<Response> {
    const handlers = this.#handlers
    if (handlers === undefined) throw new PeerUnreachableError(this.localPeer, 'endpoint stopped')
    return handlers.onRequest(from, request)
  }

  announce (signed: SignedRecord): void {
    // Gossip carries only records authored by their sender (the contract of onAnnounce).
    if (!this.started || signed.record.id !== this.localPeer) return
    for (const other of this.#hub.peers()) {
      if (!this.#hub.connected(this.localPeer, other)) continue
      const target = this.#hub.endpoint(other)
      const copy = structuredClone(signed)
      queueMicrotask(() => target?.receiveAnnouncement(this.localPeer, copy))
    }
  }

  receiveAnnouncement (from: PeerId, signed: SignedRecord): void {
    this.#handlers?.onAnnounce(from, signed)
  }

  announceRemoval (removal: SignedRemoval): void {
    if (!this.started) return
    for (const other of this.#hub.peers()) {
      if (!this.#hub.connected(this.localPeer, other)) continue
      const target = this.#hub.endpoint(other)
      const copy = structuredClone(removal)
      queueMicrotask(() => target?.receiveRemoval(this.localPeer, copy))
    }
  }

  receiveRemoval (from: PeerId, removal: SignedRemoval): void {
    this.#handlers?.onRemoval?.(from, removal)
  }

  async dial (address: string): Promise<PeerId> {
    if (!this.#hub.connected(this.localPeer, address)) throw new PeerUnreachableError(address, 'cannot dial (loopback)')
    return address
  }

  connectedPeers (): PeerId[] {
    return this.#hub.peers().filter((peer) => this.#hub.connected(this.localPeer, peer))
  }

  /** Queue a connection event for our handlers (never synchronously: no re-entrancy). */
  emitConnection (peer: PeerId, up: boolean): void {
    queueMicrotask(() => {
      const handlers = this.#handlers
      if (handlers === undefined) return
      if (up) handlers.onPeerConnected(peer)
      else handlers.onPeerDisconnected(peer)
    })
  }
}

/**
 * A deterministic stand-in for a peer's key pair: the "signature" is sha256(id ‖ NUL ‖ hex(data)),
 * so a record relayed by another peer still verifies as its author's, and a record claiming
 * another author does not. Offers no security at all; for tests only.
 */
export class TestSigner implements Signer {
  readonly #id: PeerId

  constructor (id: PeerId) {
    this.#id = id
  }

  async sign (data: Uint8Array): Promise<Uint8Array> {
    return testSignature(this.#id, data)
  }

  async verify (peer: PeerId, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const expected = testSignature(peer, data)
    return signature.length === expected.length && expected.every((byte, i) => byte === signature[i])
  }
}

function testSignature (id: PeerId, data: Uint8Array): Uint8Array {
  const hex = Array.from(data, (byte) => byte.toString(16).padStart(2, '0')).join('')
  return keyHash(`${id}\u0000${hex}`)
}
