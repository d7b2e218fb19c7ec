/**
 * The engine's `Network` over libp2p: requests on long-lived per-peer RPC streams
 * (rpc-stream.ts), membership announcements on one gossipsub topic per cluster, and
 * connection events. Browser-safe: no Node imports here; hosts build the libp2p node
 * (node.ts for the daemon) and hand it over.
 *
 * The network owns the node it is given: `start` starts it, `stop` stops it.
 */
import './polyfill.js'
import type { Connection, Libp2p, PeerId as Libp2pPeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { decodeAnnouncement, encodeAnnouncement } from '@ringstore/core'
import type { Announcement, PeerId, Request, Response, SignedRecord, SignedRemoval } from '@ringstore/core'
import { PeerStoppedError, PeerUnreachableError } from '@ringstore/peer'
import type { Logger, Network, NetworkHandlers } from '@ringstore/peer'
import {
  ADMISSION_CACHE_ENTRIES, DEFAULT_MAX_IN_FLIGHT, GOSSIP_RATE_PEERS, GOSSIP_RECORD_BURST, GOSSIP_RECORDS_PER_SECOND,
  INVALID_FRAME_PEERS, MAX_RPC_STREAMS, OPEN_STREAM_TIMEOUT_MS, RPC_PROTOCOL, membersTopic
} from './constants.js'
import { AdmissionCheck, RateBound } from './gossip-guard.js'
import { TopicValidatorResult, scoreTopic } from './gossipsub.js'
import type { PubSubMessage, PubSubService } from './gossipsub.js'
import { DEFAULT_RPC_LIMITS } from './rpc-limits.js'
import type { RpcLimits } from './rpc-limits.js'
import { RpcStream } from './rpc-stream.js'
import { verifyAs } from './signer.js'
import { createStats } from './stats.js'
import type { NetworkStats } from './stats.js'

/** A libp2p node with at least the pubsub service (see gossipsub.ts). */
export type RingstoreLibp2p = Libp2p<{ pubsub: PubSubService }>

export interface Libp2pNetworkOptions {
  /** Cluster name: selects the membership topic `/ringstore/<cluster>/members/1`. */
  readonly cluster: string
  /**
   * The cluster authority's id (`PeerConfig.clusterId`, docs/trust.md). When set, the
   * membership topic's validator rejects (not delivered, not forwarded, the sender's
   * gossipsub score lowered) every record whose author signature does not verify or that
   * lacks an admission the authority signed and that fits it, whatever its weight or
   * status. Unset: an open cluster, records need only be well formed and authored by
   * their subject.
   */
  readonly clusterId?: PeerId
  /** Our requests in flight per peer (default DEFAULT_MAX_IN_FLIGHT). */
  readonly maxInFlight?: number
  readonly log?: Logger
  /** Overrides of the RPC streams' resource limits (rpc-limits.ts; tests inject short ones). */
  readonly rpcLimits?: Partial<RpcLimits>
  /** Also count invalid frames here (the engine's PeerMetrics has this field). */
  readonly metrics?: { invalidFrames: number }
  /**
   * Whether to drop a peer's libp2p peer-store record (its addresses, protocols, key) once
   * it disconnects. libp2p keeps a record of every peer that ever connected and never
   * evicts it, so a daemon serving visitors' tabs would grow with every visitor; a daemon
   * forgets those that are no members (the members' addresses come back from their records).
   */
  readonly forget?: (peer: PeerId) => boolean
}

const SILENT: Logger = { debug () {}, info () {}, warn () {}, error () {} }

export class Libp2pNetwork implements Network {
  readonly localPeer: PeerId
  readonly stats: NetworkStats = createStats()
  readonly node: RingstoreLibp2p
  private readonly topic: string
  private readonly maxInFlight: number
  private readonly log: Logger
  private readonly metrics: { invalidFrames: number } | undefined
  /** Records per propagation source on the membership topic (constants.ts). */
  private readonly rate = new RateBound(GOSSIP_RECORDS_PER_SECOND, GOSSIP_RECORD_BURST, GOSSIP_RATE_PEERS)
  private readonly admission: AdmissionCheck | undefined
  private readonly rpcLimits: RpcLimits
  /**
   * Invalid RPC frames per peer, across its streams: a token bucket, so that reopening a
   * stream does not refill it (reconnecting does not either: buckets outlive connections).
   */
  private readonly invalidBudget: RateBound
  private readonly forget: ((peer: PeerId) => boolean) | undefined
  /** Every open RPC stream per peer, both directions (for the per-peer reply backlog). */
  private readonly streamsByPeer = new Map<PeerId, Set<RpcStream>>()
  /** Requests being served per peer, over all its streams (entries only while non-zero). */
  private readonly servingByPeer = new Map<PeerId, number>()
  /** Announcements the validator accepted, by message: what `onGossip` delivers. */
  private readonly accepted = new WeakMap<PubSubMessage, Announcement>()
  private handlers: NetworkHandlers | undefined
  /** Our request stream per peer, and the one being opened. */
  private readonly outbound = new Map<PeerId, RpcStream>()
  private readonly opening = new Map<PeerId, Promise<RpcStream>>()
  /** Streams peers opened to us, served until they close. */
  private readonly inbound = new Set<RpcStream>()
  private readonly listeners: Array<() => void> = []
  /** connectedPeers() as of the last connection event (undefined: to be rebuilt). */
  private connected: PeerId[] | undefined

  constructor (node: RingstoreLibp2p, options: Libp2pNetworkOptions) {
    this.node = node
    this.localPeer = node.peerId.toString()
    this.topic = membersTopic(options.cluster)
    this.maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT
    this.log = options.log ?? SILENT
    this.metrics = options.metrics
    this.rpcLimits = { ...DEFAULT_RPC_LIMITS, ...options.rpcLimits }
    this.forget = options.forget
    this.invalidBudget = new RateBound(this.rpcLimits.invalidFramesPerSecond, this.rpcLimits.invalidFrameBurst, INVALID_FRAME_PEERS)
    this.admission = options.clusterId === undefined
      ? undefined
      : new AdmissionCheck(options.clusterId, verifyAs, ADMISSION_CACHE_ENTRIES)
  }

  async start (handlers: NetworkHandlers): Promise<void> {
    if (this.handlers !== undefined) throw new Error('network already started')
    this.handlers = handlers
    this.listen('peer:connect', (peer) => {
      this.connected = undefined
      this.handlers?.onPeerConnected(peer.toString())
    })
    this.listen('peer:disconnect', (peer) => {
      this.connected = undefined
      this.onDisconnect(peer.toString())
    })
    // Register before starting, so no peer ever finds the protocol missing.
    await this.node.handle(RPC_PROTOCOL, (stream, connection) => { this.accept(stream, connection) }, {
      maxInboundStreams: MAX_RPC_STREAMS,
      maxOutboundStreams: MAX_RPC_STREAMS
    })
    if (this.node.status !== 'started') await this.node.start()
    const pubsub = this.node.services.pubsub
    pubsub.topicValidators.set(this.topic, async (from, message) => await this.validateGossip(from.toString(), message))
    if (!scoreTopic(pubsub, this.topic)) this.log.warn('pubsub service does not score peers: invalid gossip is dropped but not penalised')
    const onMessage = (event: CustomEvent<PubSubMessage>): void => this.onGossip(event.detail)
    pubsub.addEventListener('message', onMessage)
    this.listeners.push(() => pubsub.removeEventListener('message', onMessage))
    pubsub.subscribe(this.topic)
    for (const peer of this.node.getPeers()) handlers.onPeerConnected(peer.toString())
  }

  async stop (): Promise<void> {
    if (this.handlers === undefined) return
    this.handlers = undefined
    for (const remove of this.listeners.splice(0)) remove()
    const pubsub = this.node.services.pubsub
    pubsub.topicValidators.delete(this.topic)
    try { pubsub.unsubscribe(this.topic) } catch { /* pubsub already stopped */ }
    const stopped = new PeerStoppedError()
    await Promise.all([...this.outbound.values(), ...this.inbound].map(async (rpc) => rpc.close(stopped)))
    await this.node.unhandle(RPC_PROTOCOL).catch(() => undefined)
    await this.node.stop()
  }

  async request (peer: PeerId, request: Request, timeoutMs: number): Promise<Response> {
    if (this.handlers === undefined) throw new PeerStoppedError()
    const deadline = performance.now() + timeoutMs
    const rpc = await this.streamTo(peer, deadline, timeoutMs)
    return rpc.request(request, deadline, timeoutMs)
  }

  announce (signed: SignedRecord): void {
    const { record } = signed
    if (this.handlers === undefined) return
    if (record.id !== this.localPeer) {
      // Every receiver would drop it (author ≠ record.id); refuse here, loudly.
      this.log.warn('refusing to announce a record about another peer', { id: record.id })
      return
    }
    this.publish({ signed }, 'announcement')
  }

  /** Gossips an operator's removal of a member (any peer may relay one: receivers check the authority's signature). */
  announceRemoval (removal: SignedRemoval): void {
    if (this.handlers === undefined) return
    this.publish({ removal }, 'removal')
  }

  /** Best effort: a message that does not encode is logged, one not published (no peers yet) too. */
  private publish (message: Announcement, what: string): void {
    let data: Uint8Array
    try {
      data = encodeAnnouncement(message)
    } catch (err) {
      this.log.error(`${what} does not encode`, { error: String(err) })
      return
    }
    this.node.services.pubsub.publish(this.topic, data).catch((err: unknown) => {
      this.log.debug(`${what} not published`, { error: String(err) })
    })
  }

  async dial (address: string): Promise<PeerId> {
    let target: Multiaddr
    try {
      target = multiaddr(address)
    } catch (err) {
      throw new PeerUnreachableError(address, `invalid multiaddr: ${messageOf(err)}`)
    }
    try {
      const connection = await this.node.dial(target, { signal: AbortSignal.timeout(OPEN_STREAM_TIMEOUT_MS) })
      return connection.remotePeer.toString()
    } catch (err) {
      throw new PeerUnreachableError(address, messageOf(err))
    }
  }

  connectedPeers (): PeerId[] {
    // Kept between connection events while started: rebuilding it (a PeerId object and a
    // base58 encoding per peer) was most of what a GET /status cost.
    if (this.handlers === undefined) return this.node.getPeers().map((peer) => peer.toString())
    this.connected ??= this.node.getPeers().map((peer) => peer.toString())
    return [...this.connected]
  }

  /**
   * Teach the peer store where `peer` listens (from its member record), so a request to a
   * peer we are not connected to can dial it. Invalid addresses are skipped.
   */
  async addAddresses (peer: PeerId, addrs: readonly string[]): Promise<void> {
    let id: Libp2pPeerId
    try {
      id = peerIdFromString(peer)
    } catch {
      return
    }
    if (id.equals(this.node.peerId)) return
    const multiaddrs: Multiaddr[] = []
    for (const addr of addrs) {
      try { multiaddrs.push(multiaddr(addr)) } catch { /* skip an address we cannot parse */ }
    }
    if (multiaddrs.length > 0) await this.node.peerStore.merge(id, { multiaddrs })
  }

  // ---- RPC streams ----

  /** Our request stream to `peer`, opening it (dialling if needed) when there is none. */
  private async streamTo (peer: PeerId, deadline: number, timeoutMs: number): Promise<RpcStream> {
    const existing = this.outbound.get(peer)
    if (existing?.open === true) return existing
    let opening = this.opening.get(peer)
    if (opening === undefined) {
      opening = this.openStream(peer).finally(() => this.opening.delete(peer))
      this.opening.set(peer, opening)
    }
    // Several callers share one dial; each gives up at its own deadline.
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new PeerUnreachableError(peer, `no RPC stream within ${timeoutMs} ms`)), Math.max(0, deadline - performance.now()))
    })
    try {
      return await Promise.race([opening, expired])
    } finally {
      clearTimeout(timer)
    }
  }

  private async openStream (peer: PeerId): Promise<RpcStream> {
    if (peer === this.localPeer) throw new PeerUnreachableError(peer, 'cannot dial ourselves')
    let id: Libp2pPeerId
    try {
      id = peerIdFromString(peer)
    } catch (err) {
      throw new PeerUnreachableError(peer, `invalid peer id: ${messageOf(err)}`)
    }
    let stream: Stream
    try {
      stream = await this.node.dialProtocol(id, RPC_PROTOCOL, {
        signal: AbortSignal.timeout(OPEN_STREAM_TIMEOUT_MS),
        maxOutboundStreams: MAX_RPC_STREAMS
      })
    } catch (err) {
      throw new PeerUnreachableError(peer, messageOf(err))
    }
    if (this.handlers === undefined) {
      stream.abort(new PeerStoppedError())
      throw new PeerStoppedError()
    }
    const rpc = this.wrap(stream, peer, (closed) => {
      if (this.outbound.get(peer) === closed) this.outbound.delete(peer)
    })
    this.outbound.set(peer, rpc)
    return rpc
  }

  private accept (stream: Stream, connection: Connection): void {
    if (this.handlers === undefined) {
      stream.abort(new PeerStoppedError())
      return
    }
    const rpc = this.wrap(stream, connection.remotePeer.toString(), (closed) => this.inbound.delete(closed))
    this.inbound.add(rpc)
  }

  private wrap (stream: Stream, remote: PeerId, onClosed: (rpc: RpcStream) => void): RpcStream {
    const stats = this.stats
    const metrics = this.metrics
    const streams = this.streamsByPeer
    const rpc = new RpcStream({
      stream,
      remote,
      maxInFlight: this.maxInFlight,
      limits: this.rpcLimits,
      chargeInvalid: (cost) => this.invalidBudget.take(remote, cost),
      takeServing: () => {
        const serving = this.servingByPeer.get(remote) ?? 0
        if (serving >= this.rpcLimits.maxServingPerPeer) return false
        this.servingByPeer.set(remote, serving + 1)
        return true
      },
      peerUnsentBytes: () => {
        let total = 0
        for (const peerStream of streams.get(remote) ?? []) total += peerStream.unsentBytes
        return total
      },
      peerPartialBytes: () => {
        let total = 0
        for (const peerStream of streams.get(remote) ?? []) total += peerStream.partialBytes
        return total
      },
      releaseServing: () => {
        const serving = (this.servingByPeer.get(remote) ?? 1) - 1
        if (serving <= 0) this.servingByPeer.delete(remote)
        else this.servingByPeer.set(remote, serving)
      },
      serve: async (request) => {
        const handlers = this.handlers
        if (handlers === undefined) return { type: 'error', code: 'unavailable', message: 'peer is stopping' }
        return handlers.onRequest(remote, request)
      },
      stats,
      onInvalidFrame: () => { if (metrics !== undefined) metrics.invalidFrames++ },
      log: this.log,
      onClosed: (closed) => {
        const set = streams.get(remote)
        set?.delete(closed)
        if (set?.size === 0) streams.delete(remote)
        onClosed(closed)
      }
    })
    if (rpc.open) {
      const set = streams.get(remote) ?? new Set<RpcStream>()
      set.add(rpc)
      streams.set(remote, set)
    }
    return rpc
  }

  private onDisconnect (peer: PeerId): void {
    // The stream dies with the connection; dropping it now lets the next request redial.
    this.outbound.get(peer)?.abort(new PeerUnreachableError(peer, 'disconnected'))
    this.handlers?.onPeerDisconnected(peer)
    if (this.forget?.(peer) === true) {
      this.node.peerStore.delete(peerIdFromString(peer)).catch((error: unknown) => {
        this.log.debug('could not forget a peer', { peer, error: String(error) })
      })
    }
  }

  // ---- gossip ----

  /**
   * Gossipsub asks before delivering or forwarding. A source past its record rate is
   * ignored (dropped, not held against it: an honest relay may get there). Then only
   * well-formed records authored by their subject pass, and with a cluster id only those
   * signed by it and admitted; the rest are rejected (not forwarded, and the sender's
   * score drops: see gossipsub.ts).
   */
  private async validateGossip (source: PeerId, message: PubSubMessage): Promise<TopicValidatorResult> {
    // First and cheapest: a flood costs neither decoding nor signature checks.
    if (!this.rate.take(source)) {
      this.stats.rateLimitedAnnouncements++
      return TopicValidatorResult.Ignore
    }
    const checked = checkAnnouncement(message)
    let reason: string | undefined
    if (checked === 'invalid') {
      this.stats.invalidAnnouncements++
      reason = checked
    } else if (checked === 'forged') {
      this.stats.forgedAnnouncements++
      reason = checked
    } else if ('removal' in checked) {
      // Only the authority removes members: an open cluster (no cluster id) has none.
      reason = this.admission === undefined ? 'no-authority' : await this.admission.removalProblem(checked.removal)
      if (reason !== undefined) this.stats.forgedAnnouncements++
    } else if (this.admission !== undefined) {
      reason = await this.admission.problem(checked.signed)
      if (reason === 'bad-signature') this.stats.forgedAnnouncements++
      else if (reason !== undefined) this.stats.unadmittedAnnouncements++
    }
    if (reason !== undefined || typeof checked === 'string') {
      this.log.debug('gossip message rejected', { reason, source })
      return TopicValidatorResult.Reject
    }
    this.accepted.set(message, checked)
    return TopicValidatorResult.Accept
  }

  private onGossip (message: PubSubMessage): void {
    if (message.topic !== this.topic || message.type !== 'signed') return
    // Only what our validator accepted: were it ever unwired, nothing would be delivered.
    const announcement = this.accepted.get(message)
    if (announcement === undefined) return
    this.accepted.delete(message)
    this.stats.announcementsDelivered++
    if ('removal' in announcement) this.handlers?.onRemoval?.(message.from.toString(), announcement.removal)
    else this.handlers?.onAnnounce(message.from.toString(), announcement.signed)
  }

  private listen (event: 'peer:connect' | 'peer:disconnect', fn: (peer: Libp2pPeerId) => void): void {
    const listener = (e: CustomEvent<Libp2pPeerId>): void => fn(e.detail)
    this.node.addEventListener(event, listener)
    this.listeners.push(() => this.node.removeEventListener(event, listener))
  }
}

/** The announcement in `message` if it is valid and authored by the peer it is about. */
function checkAnnouncement (message: PubSubMessage): Announcement | 'invalid' | 'forged' {
  if (message.type !== 'signed') return 'invalid'
  let announcement: Announcement
  try {
    announcement = decodeAnnouncement(message.data)
  } catch {
    return 'invalid'
  }
  // A removal is the authority's word, whoever relays it; a record only its subject's.
  if ('removal' in announcement) return announcement
  return announcement.signed.record.id === message.from.toString() ? announcement : 'forged'
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
