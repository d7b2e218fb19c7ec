/**
 * The simulated network: one `SimHub` per run, one `SimNetwork` endpoint (the engine's
 * `Network`) per peer process. Every request, response and announcement is encoded with
 * the core codec and decoded on arrival, so each simulated message also exercises the codec.
 *
 * Fault semantics, chosen to match what a real host sees:
 * - a crashed (or never started) peer refuses connections: requests to it reject with
 *   `PeerUnreachableError` after `refusedDelayMs`;
 * - a partition or a lost packet is silence: the request rejects with `RequestTimeoutError`
 *   at its `timeoutMs`;
 * - a message in flight arrives even if its sender died meanwhile (it was on the wire), but
 *   is lost when its receiver is down or a partition cuts its path; a crashed process's own
 *   calls never settle (the process is gone);
 * - latency = base + exponential jitter, so messages also overtake each other.
 * Connections: in `full` mesh mode every pair of running, mutually reachable peers is
 * connected (events fire as partitions and crashes start and end); in `lazy` mode a
 * connection opens on dial or on the first delivered request, as libp2p does, and only
 * closes when a fault cuts it.
 */
import { decodeAnnouncement, decodeFrame, encodeAnnouncement, encodeFrame } from '@ringstore/core'
import type { Announcement, Frame, PeerId, Request, Response, SignedRecord, SignedRemoval } from '@ringstore/core'
import { PeerUnreachableError, RequestTimeoutError } from '@ringstore/peer'
import { DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_REFUSED_DELAY_MS } from './constants.js'
import type { EndpointHub } from './endpoint-hub.js'
import type { Rng } from './rng.js'
import type { EventHandle, Scheduler } from './scheduler.js'
import { SimNetwork, never } from './network-endpoint.js'
import type { PendingRequest } from './network-endpoint.js'
import { fullyConnected, isolatePeer, mutuallyReachable, partitionGroups } from './topology.js'
import type { Reachability } from './topology.js'

export { SimNetwork } from './network-endpoint.js'

/** The codec the hub encodes with; core's by default (tests may inject a broken one). */
export interface WireCodec {
  encodeFrame(frame: Frame): Uint8Array
  decodeFrame(bytes: Uint8Array): Frame
  encodeAnnouncement(announcement: Announcement): Uint8Array
  decodeAnnouncement(bytes: Uint8Array): Announcement
}

export const CORE_CODEC: WireCodec = { encodeFrame, decodeFrame, encodeAnnouncement, decodeAnnouncement }

/** Conditions that a fault schedule may change mid-run. */
export interface NetworkConditions {
  /** One-way latency floor, virtual ms. */
  readonly latencyBaseMs: number
  /** Mean of the exponential jitter added to each message, virtual ms. */
  readonly latencyJitterMs: number
  /** Probability that one message (request, response or announcement) is dropped. */
  readonly lossProbability: number
  /** Probability that a message is delivered twice (a retransmission the stack did not dedupe). */
  readonly duplicateProbability: number
}

export interface SimHubOptions extends Partial<NetworkConditions> {
  /** Delay before a connection to a dead peer is refused. */
  readonly refusedDelayMs?: number
  /** A dial across a partition gives up after this long. */
  readonly dialTimeoutMs?: number
  readonly mesh?: 'full' | 'lazy'
  readonly codec?: WireCodec
  /** A bug seen by the network (a handler threw, a frame failed to round-trip). */
  readonly onFault?: (description: string, error?: unknown) => void
}

export const DEFAULT_CONDITIONS: NetworkConditions = {
  // A LAN-ish round trip of a few ms; the jitter's tail reorders messages regularly.
  latencyBaseMs: 1,
  latencyJitterMs: 2,
  lossProbability: 0,
  duplicateProbability: 0
}

export interface NetworkStats {
  sent: number
  delivered: number
  lost: number
  duplicated: number
  refused: number
  timedOut: number
  /** Requests sent, by request type (a peer's background work shows here: gossip, probes). */
  readonly requests: Map<string, number>
  /** Member records carried by `members` replies, by request type (what table pulls and gossip rounds move). */
  readonly memberRecords: Map<string, number>
}

export class SimHub implements EndpointHub<SimNetwork> {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, refused: 0, timedOut: 0, requests: new Map(), memberRecords: new Map() }
  private conditions: NetworkConditions
  private reach: Reachability = fullyConnected
  private readonly endpoints = new Map<PeerId, SimNetwork>()
  /** Open connections, as "a\u0000b" with a < b, in the order they opened... */
  private readonly pairs = new Set<string>()
  /** ...and as each peer's set of connected peers (connectedPeersOf without a scan of every pair). */
  private readonly connections = new Map<PeerId, Set<PeerId>>()
  private readonly refusedDelayMs: number
  private readonly dialTimeoutMs: number
  private readonly mesh: 'full' | 'lazy'
  private readonly codec: WireCodec
  private readonly onFault: (description: string, error?: unknown) => void

  constructor (private readonly scheduler: Scheduler, private readonly rng: Rng, options: SimHubOptions = {}) {
    this.conditions = { ...DEFAULT_CONDITIONS, ...definedOnly(options) }
    this.refusedDelayMs = options.refusedDelayMs ?? DEFAULT_REFUSED_DELAY_MS
    this.dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS
    this.mesh = options.mesh ?? 'full'
    this.codec = options.codec ?? CORE_CODEC
    this.onFault = options.onFault ?? ((description, error) => { throw error ?? new Error(description) })
  }

  /** A new endpoint (process incarnation) for `id`; the previous one must be dead or stopped. */
  endpoint (id: PeerId): SimNetwork {
    const current = this.endpoints.get(id)
    if (current !== undefined && (current.state === 'running' || current.state === 'new')) {
      throw new RangeError(`peer ${id} already has a live network endpoint`)
    }
    const endpoint = new SimNetwork(id, this)
    this.endpoints.set(id, endpoint)
    return endpoint
  }

  /** The process behind `id` died: its connections drop, its pending calls never settle. */
  crash (id: PeerId): void {
    const endpoint = this.endpoints.get(id)
    if (endpoint === undefined || endpoint.state === 'crashed' || endpoint.state === 'stopped') return
    endpoint.state = 'crashed'
    for (const request of endpoint.pending.values()) this.cancelTimer(request.timer)
    endpoint.pending.clear()
    this.endpointGone(endpoint)
  }

  /**
   * Forget a stopped or crashed endpoint for good (a client session that went away): the
   * hub keeps nothing of it, so a run of many short sessions holds only the live ones.
   */
  forget (id: PeerId): void {
    const endpoint = this.endpoints.get(id)
    if (endpoint === undefined || endpoint.state === 'running' || endpoint.state === 'new') return
    this.endpoints.delete(id)
    if (this.connections.get(id)?.size === 0) this.connections.delete(id)
  }

  /** Endpoints the hub holds (live or not), and peers with a connection entry: what a long run keeps. */
  get size (): { readonly endpoints: number, readonly connected: number } {
    return { endpoints: this.endpoints.size, connected: this.connections.size }
  }

  isRunning (id: PeerId): boolean {
    return this.endpoints.get(id)?.state === 'running'
  }

  canReach (from: PeerId, to: PeerId): boolean {
    return this.reach(from, to)
  }

  setReachability (reach: Reachability): void {
    this.reach = reach
    this.refreshConnections()
  }

  partition (groups: ReadonlyArray<readonly PeerId[]>): void { this.setReachability(partitionGroups(groups)) }
  isolate (id: PeerId): void { this.setReachability(isolatePeer(id)) }
  heal (): void { this.setReachability(fullyConnected) }

  setConditions (conditions: Partial<NetworkConditions>): void {
    this.conditions = { ...this.conditions, ...definedOnly(conditions) }
  }

  getConditions (): NetworkConditions { return this.conditions }

  connectedPeersOf (id: PeerId): PeerId[] {
    return [...this.connections.get(id) ?? []].sort()
  }

  /** Called by an endpoint: send one request, resolve with the decoded response. */
  send (from: SimNetwork, to: PeerId, request: Request, timeoutMs: number): Promise<Response> {
    if (from.state === 'crashed') return never()
    if (from.state !== 'running') return Promise.reject(new PeerUnreachableError(to, 'local network not running'))
    const id = from.nextRequestId++
    this.stats.requests.set(request.type, (this.stats.requests.get(request.type) ?? 0) + 1)
    const bytes = this.encode(() => this.codec.encodeFrame({ kind: 'request', id, request }), `request ${request.type} to ${to}`)
    return new Promise<Response>((resolve, reject) => {
      const pending: PendingRequest = { peer: to, resolve, reject, timer: undefined }
      from.pending.set(id, pending)
      pending.timer = this.scheduler.schedule(timeoutMs, () => {
        if (from.pending.get(id) !== pending) return
        from.pending.delete(id)
        this.stats.timedOut++
        reject(new RequestTimeoutError(to, timeoutMs))
      })
      if (bytes === undefined) return // an engine bug, reported; the caller sees a timeout
      const target = this.endpoints.get(to)
      if (!this.reach(from.localPeer, to)) {
        this.stats.lost++ // silence: the caller times out
      } else if (target === undefined || target.state !== 'running') {
        this.refuse(from, id, to)
      } else {
        this.transmit(from.localPeer, to, bytes, (arrived) => this.deliverRequest(from, target, arrived))
      }
    })
  }

  /** Called by an endpoint: best-effort gossip of its own record to every reachable peer. */
  gossip (from: SimNetwork, signed: SignedRecord): void {
    this.broadcast(from, { signed }, `announcement of ${from.localPeer}`)
  }

  /** Called by an endpoint: best-effort gossip of an operator's removal to every reachable peer. */
  gossipRemoval (from: SimNetwork, removal: SignedRemoval): void {
    this.broadcast(from, { removal }, `removal relayed by ${from.localPeer}`)
  }

  /**
   * Drop every announcement from now on (true) or deliver them again (false): the
   * convergence report (convergence.ts) measures how the gossip rounds alone spread a change.
   */
  muteAnnouncements (muted: boolean): void {
    this.announcementsMuted = muted
  }

  private announcementsMuted = false

  private broadcast (from: SimNetwork, message: Announcement, what: string): void {
    if (from.state !== 'running' || this.announcementsMuted) return
    const bytes = this.encode(() => this.codec.encodeAnnouncement(message), what)
    if (bytes === undefined) return
    // Decoded once for all its receivers, when the first copy arrives: every receiver of a
    // broadcast gets the same bytes, so the same decoded announcement (the engine never
    // changes what it receives), and a cluster of S peers does not hold S copies of each
    // record it gossips.
    let decoded: Announcement | undefined | null = null
    for (const target of this.endpoints.values()) {
      if (target === from || target.state !== 'running' || !this.reach(from.localPeer, target.localPeer)) continue
      this.transmit(from.localPeer, target.localPeer, bytes, (arrived) => {
        // A message on the wire arrives even if its sender stopped meanwhile (a graceful
        // leave's last announcement must still land); a dead receiver hears nothing.
        if (target.state !== 'running') return
        if (decoded === null) decoded = this.decode(() => this.codec.decodeAnnouncement(arrived), 'announcement')
        const announcement = decoded
        if (announcement === undefined) return
        // A removal is the authority's word, whoever relays it (membership checks it).
        if ('removal' in announcement) target.handlers?.onRemoval?.(from.localPeer, announcement.removal)
        // Gossip carries the publisher's identity; a record about anyone else is not accepted.
        else if (announcement.signed.record.id === from.localPeer) target.handlers?.onAnnounce(from.localPeer, announcement.signed)
      })
    }
  }

  /** Called by an endpoint: connect to the peer whose id is `address`. */
  dial (from: SimNetwork, address: string): Promise<PeerId> {
    if (from.state === 'crashed') return never()
    if (from.state !== 'running') return Promise.reject(new PeerUnreachableError(address, 'local network not running'))
    return new Promise<PeerId>((resolve, reject) => {
      const target = this.endpoints.get(address)
      const reachable = mutuallyReachable(this.reach, from.localPeer, address)
      if (!reachable || target === undefined || target.state !== 'running') {
        const delay = reachable ? this.refusedDelayMs : this.dialTimeoutMs
        this.scheduler.schedule(delay, () => {
          if (from.state === 'running') reject(new PeerUnreachableError(address, reachable ? 'connection refused' : 'dial timed out'))
        })
        return
      }
      this.scheduler.schedule(this.latency() + this.latency(), () => {
        if (from.state !== 'running') return
        if (target.state !== 'running' || !mutuallyReachable(this.reach, from.localPeer, address)) {
          reject(new PeerUnreachableError(address, 'connection lost while dialling'))
          return
        }
        this.connect(from.localPeer, address)
        resolve(address)
      })
    })
  }

  /** @internal */
  cancelTimer (timer: EventHandle | undefined): void {
    if (timer !== undefined) this.scheduler.cancel(timer)
  }

  /** @internal An endpoint started: connect it to the mesh. */
  endpointStarted (_endpoint: SimNetwork): void {
    this.refreshConnections()
  }

  /** @internal An endpoint stopped or crashed: its connections drop. */
  endpointGone (endpoint: SimNetwork): void {
    for (const peer of this.connectedPeersOf(endpoint.localPeer)) this.disconnect(endpoint.localPeer, peer)
  }

  private refuse (from: SimNetwork, id: number, to: PeerId): void {
    this.scheduler.schedule(this.refusedDelayMs, () => {
      const pending = from.pending.get(id)
      if (pending === undefined || from.state !== 'running') return
      from.pending.delete(id)
      this.cancelTimer(pending.timer)
      this.stats.refused++
      pending.reject(new PeerUnreachableError(to, 'connection refused'))
    })
  }

  private deliverRequest (from: SimNetwork, target: SimNetwork, bytes: Uint8Array): void {
    // A restart in between opens a new process: the old connection, and this request, are gone.
    if (target.state !== 'running' || this.endpoints.get(target.localPeer) !== target) return
    const frame = this.decode(() => this.codec.decodeFrame(bytes), 'request frame')
    if (frame === undefined || frame.kind !== 'request') return
    if (this.mesh === 'lazy') this.connect(from.localPeer, target.localPeer)
    const handlers = target.handlers
    if (handlers === undefined) return
    let answer: Promise<Response>
    try {
      answer = handlers.onRequest(from.localPeer, frame.request)
    } catch (error) {
      this.onFault(`onRequest of ${target.localPeer} threw synchronously on ${frame.request.type}`, error)
      return
    }
    answer.then((response) => {
      if (target.state !== 'running') return
      if (response.type === 'members') {
        const type = frame.request.type
        this.stats.memberRecords.set(type, (this.stats.memberRecords.get(type) ?? 0) + response.records.length)
      }
      const out = this.encode(() => this.codec.encodeFrame({ kind: 'response', id: frame.id, response }), `response ${response.type} from ${target.localPeer}`)
      if (out === undefined) return
      this.transmit(target.localPeer, from.localPeer, out, (arrived) => this.deliverResponse(from, arrived))
    }, (error: unknown) => {
      this.onFault(`onRequest of ${target.localPeer} rejected on ${frame.request.type} (it must answer with an error response)`, error)
    })
  }

  private deliverResponse (to: SimNetwork, bytes: Uint8Array): void {
    if (to.state !== 'running') return
    const frame = this.decode(() => this.codec.decodeFrame(bytes), 'response frame')
    if (frame === undefined || frame.kind !== 'response') return
    const pending = to.pending.get(frame.id)
    if (pending === undefined) return // answered already (a duplicate) or timed out
    to.pending.delete(frame.id)
    this.cancelTimer(pending.timer)
    pending.resolve(frame.response)
  }

  /** Put bytes on the wire from → to: loss, latency, duplication; a cut path drops them. */
  private transmit (from: PeerId, to: PeerId, bytes: Uint8Array, arrive: (bytes: Uint8Array) => void): void {
    this.stats.sent++
    const copies = this.rng.chance(this.conditions.duplicateProbability) ? 2 : 1
    if (copies === 2) this.stats.duplicated++
    for (let i = 0; i < copies; i++) {
      if (this.rng.chance(this.conditions.lossProbability)) {
        this.stats.lost++
        continue
      }
      this.scheduler.schedule(this.latency(), () => {
        if (!this.reach(from, to)) {
          this.stats.lost++
          return
        }
        this.stats.delivered++
        arrive(bytes)
      })
    }
  }

  private latency (): number {
    return this.conditions.latencyBaseMs + this.rng.exponential(this.conditions.latencyJitterMs)
  }

  private encode (fn: () => Uint8Array, what: string): Uint8Array | undefined {
    try {
      return fn()
    } catch (error) {
      this.onFault(`the engine produced an unencodable ${what}`, error)
      return undefined
    }
  }

  private decode<T> (fn: () => T, what: string): T | undefined {
    try {
      return fn()
    } catch (error) {
      this.onFault(`a ${what} did not survive an encode/decode round trip`, error)
      return undefined
    }
  }

  private refreshConnections (): void {
    // In the order the pairs were first connected (a Set keeps insertion order), as the
    // string set this replaced did: connection events, and so runs, stay as they were.
    for (const pair of [...this.pairs]) {
      const [a, b] = pair.split('\u0000') as [PeerId, PeerId]
      if (!this.isRunning(a) || !this.isRunning(b) || !mutuallyReachable(this.reach, a, b)) this.disconnect(a, b)
    }
    if (this.mesh !== 'full') return
    const running = [...this.endpoints.values()].filter((e) => e.state === 'running').map((e) => e.localPeer)
    for (let i = 0; i < running.length; i++) {
      for (let j = i + 1; j < running.length; j++) {
        const a = running[i] as PeerId
        const b = running[j] as PeerId
        if (mutuallyReachable(this.reach, a, b)) this.connect(a, b)
      }
    }
  }

  private connect (a: PeerId, b: PeerId): void {
    const pair = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`
    if (a === b || this.pairs.has(pair)) return
    this.pairs.add(pair)
    this.link(a, b)
    this.link(b, a)
    this.notify(a, b, 'up')
    this.notify(b, a, 'up')
  }

  private link (from: PeerId, to: PeerId): void {
    let peers = this.connections.get(from)
    if (peers === undefined) this.connections.set(from, peers = new Set())
    peers.add(to)
  }

  private unlink (from: PeerId, to: PeerId): void {
    const peers = this.connections.get(from)
    if (peers === undefined) return
    peers.delete(to)
    if (peers.size === 0) this.connections.delete(from)
  }

  private disconnect (a: PeerId, b: PeerId): void {
    const pair = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`
    if (!this.pairs.delete(pair)) return
    this.unlink(a, b)
    this.unlink(b, a)
    this.notify(a, b, 'down')
    this.notify(b, a, 'down')
  }

  /** Connection events fire as scheduler events, to the process incarnation alive now. */
  private notify (at: PeerId, peer: PeerId, change: 'up' | 'down'): void {
    const endpoint = this.endpoints.get(at)
    if (endpoint === undefined || endpoint.state !== 'running') return
    this.scheduler.schedule(0, () => {
      if (endpoint.state !== 'running') return
      if (change === 'up') endpoint.handlers?.onPeerConnected(peer)
      else endpoint.handlers?.onPeerDisconnected(peer)
    })
  }
}

/** The condition fields of `values` that are set (options objects carry other fields too). */
function definedOnly (values: Partial<NetworkConditions>): Partial<NetworkConditions> {
  const out: { -readonly [K in keyof NetworkConditions]?: number } = {}
  for (const key of CONDITION_KEYS) {
    const value = values[key]
    if (value !== undefined) out[key] = value
  }
  return out
}

const CONDITION_KEYS: ReadonlyArray<keyof NetworkConditions> = ['latencyBaseMs', 'latencyJitterMs', 'lossProbability', 'duplicateProbability']
