/**
 * Local, per-observer failure detection (Dynamo §4.8.3). Each peer decides for itself
 * whether it can reach another: a failed or timed-out request, or a lost connection to a
 * peer it has business with (`watchesDisconnect`), marks the peer unreachable; any successful request or a (re)connection marks it reachable
 * again. Unreachable members are probed with a cheap request so that a peer that came back
 * is noticed even when nobody routes traffic to it (hinted handoff waits for exactly that
 * moment): on the next `probeIntervalMs` tick, then, while they stay silent, with an
 * exponential back-off (PROBE_BACKOFF_MAX_TICKS), so that holding most of a large cluster
 * unreachable after a partition does not cost a probe of each every tick. A verdict only steers routing (sloppy quorum);
 * it never removes a member: removal is explicit (leave).
 */
import { LIMITS } from '@ringstore/core'
import type { PeerId } from '@ringstore/core'
import type { FailureDetector, MembershipView } from '../components.js'
import type { PeerConfig } from '../config.js'
import { PROBE_BACKOFF_MAX_TICKS, PROBES_PER_TICK_MAX } from '../constants.js'
import { describeError } from '../errors.js'
import type { Clock, Logger, Network, TimerHandle } from '../interfaces.js'
import { askPing } from '../protocol/ping.js'
import { PeerRpc } from '../protocol/rpc.js'

export interface FailureDetectorDeps {
  readonly id: PeerId
  readonly config: Pick<PeerConfig, 'probeIntervalMs' | 'requestTimeoutMs'>
  readonly clock: Clock
  readonly network: Pick<Network, 'request'>
  readonly log: Logger
  /** Whom to probe: the members that have not left. */
  readonly membership: Pick<MembershipView, 'member'>
  /**
   * Whether a lost connection to `peer` marks it unreachable (default: every peer's). A
   * member of a large cluster passes the peers it replicates with and holds hints for:
   * after a partition it loses a connection to every peer it ever gossiped with, and
   * probing each of those cost it what the cluster has, not what it owns. Any other peer
   * is found down by a request that fails, as Dynamo's local failure detection does.
   */
  readonly watchesDisconnect?: (peer: PeerId) => boolean
}

export class LocalFailureDetector implements FailureDetector {
  readonly #deps: FailureDetectorDeps
  /** Probes report to this detector itself, like every other request. */
  readonly #rpc: PeerRpc
  readonly #unreachable = new Set<PeerId>()
  readonly #listeners = new Set<(peer: PeerId) => void>()
  /** Peers with a probe in flight: never two probes to one peer at once. */
  readonly #probing = new Set<PeerId>()
  #timer: TimerHandle | undefined
  #running = false
  /** Rotates the probe order so that every unreachable member gets its turn. */
  #probeCursor = 0
  /** Probe ticks so far (the back-off counts in ticks). */
  #tick = 0
  /** Members whose last probes failed: misses in a row, and the tick before which they are not probed again. */
  readonly #backoff = new Map<PeerId, { misses: number, dueTick: number }>()
  /** No unreachable member is due before this tick (probe() skips the ticks before it). */
  #nextDueTick = 0

  constructor (deps: FailureDetectorDeps) {
    this.#deps = deps
    this.#rpc = new PeerRpc({ network: deps.network, detector: this, timeoutMs: deps.config.requestTimeoutMs })
  }

  start (): void {
    if (this.#running) return
    this.#running = true
    this.#scheduleProbe()
  }

  stop (): void {
    this.#running = false
    if (this.#timer !== undefined) this.#deps.clock.clearTimer(this.#timer)
    this.#timer = undefined
  }

  isReachable (peer: PeerId): boolean {
    return !this.#unreachable.has(peer)
  }

  reportSuccess (peer: PeerId): void {
    this.#markReachable(peer)
  }

  reportFailure (peer: PeerId): void {
    this.#markUnreachable(peer)
  }

  onPeerConnected (peer: PeerId): void {
    this.#markReachable(peer)
  }

  /** A lost connection is a hint, not proof; it costs one probe to be corrected. */
  onPeerDisconnected (peer: PeerId): void {
    if (this.#deps.watchesDisconnect?.(peer) === false) return
    this.#markUnreachable(peer)
  }

  onReachable (listener: (peer: PeerId) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  unreachable (): PeerId[] {
    return [...this.#unreachable].sort()
  }

  /** Probes the unreachable members that are due now (the timer calls this; tests may too). */
  async probe (): Promise<void> {
    // Only the unreachable peers are looked at, each by id, and only on ticks when one is
    // due: a tick costs what is down and due, not the cluster size (it runs every
    // probeIntervalMs on every peer), and a long-lost member only every few ticks.
    this.#tick++
    if (this.#unreachable.size === 0 || this.#tick < this.#nextDueTick) return
    const isMember = (peer: PeerId): boolean => {
      const record = this.#deps.membership.member(peer)
      return record !== undefined && record.status !== 'left'
    }
    this.#forgetNonMembersIfFull(isMember)
    // Non-members are looked at again after the longest back-off (one may become a member).
    let nextDue = this.#tick + PROBE_BACKOFF_MAX_TICKS
    const candidates: PeerId[] = []
    for (const peer of this.#unreachable) {
      if (this.#probing.has(peer)) continue // its outcome sets its next tick
      const dueTick = this.#backoff.get(peer)?.dueTick ?? 0
      if (dueTick > this.#tick) nextDue = Math.min(nextDue, dueTick)
      else if (isMember(peer)) candidates.push(peer)
    }
    candidates.sort()
    this.#nextDueTick = candidates.length > PROBES_PER_TICK_MAX ? this.#tick + 1 : nextDue
    if (candidates.length === 0) return
    const start = this.#probeCursor % candidates.length
    const chosen = [...candidates.slice(start), ...candidates.slice(0, start)].slice(0, PROBES_PER_TICK_MAX)
    this.#probeCursor = start + chosen.length
    await Promise.all(chosen.map(async (peer) => { await this.#probeOne(peer) }))
  }

  /**
   * The set holds any peer a request failed to, members or not. Past LIMITS.members
   * entries, forget the non-members (nobody routes to them) so the set stays bounded.
   */
  #forgetNonMembersIfFull (isMember: (peer: PeerId) => boolean): void {
    if (this.#unreachable.size <= LIMITS.members) return
    for (const peer of this.#unreachable) {
      if (isMember(peer)) continue
      this.#unreachable.delete(peer)
      this.#backoff.delete(peer)
    }
  }

  async #probeOne (peer: PeerId): Promise<void> {
    this.#probing.add(peer)
    try {
      // `ping` costs the peer nothing (a members-pull would send its whole member table).
      // Any answer proves the peer alive. A failed probe reports nothing: the peer is
      // already unreachable, unless a connection came up meanwhile, which is fresher news.
      await askPing(this.#rpc, peer, { report: false })
      this.#markReachable(peer)
    } catch (error) {
      this.#deps.log.debug('probe failed', { peer, error: describeError(error) })
      if (this.#unreachable.has(peer)) {
        const misses = (this.#backoff.get(peer)?.misses ?? 0) + 1
        const dueTick = this.#tick + Math.min(2 ** (misses - 1), PROBE_BACKOFF_MAX_TICKS)
        this.#backoff.set(peer, { misses, dueTick })
        this.#nextDueTick = Math.min(this.#nextDueTick, dueTick)
      }
    } finally {
      this.#probing.delete(peer)
    }
  }

  /**
   * Only a member's reachability is kept: nobody routes to a client (a browser tab), and
   * every tab that ever connected and went away (a lost connection, a failed pull) would
   * otherwise stay in the set, up to LIMITS.members of them per member.
   */
  #markUnreachable (peer: PeerId): void {
    if (peer === this.#deps.id || this.#unreachable.has(peer)) return
    if ((this.#deps.membership.member(peer)?.weight ?? 0) === 0) return
    this.#unreachable.add(peer)
    this.#nextDueTick = 0 // probed on the next tick
    this.#deps.log.debug('peer unreachable', { peer })
  }

  #markReachable (peer: PeerId): void {
    if (!this.#unreachable.delete(peer)) return
    this.#backoff.delete(peer)
    this.#deps.log.debug('peer reachable', { peer })
    for (const listener of [...this.#listeners]) {
      try {
        listener(peer)
      } catch (error) {
        this.#deps.log.error('onReachable listener threw', { peer, error: describeError(error) })
      }
    }
  }

  #scheduleProbe (): void {
    this.#timer = this.#deps.clock.setTimer(this.#deps.config.probeIntervalMs, () => {
      this.#timer = undefined
      if (!this.#running) return
      this.probe().catch((error: unknown) => {
        this.#deps.log.error('probe round failed', { error: describeError(error) })
      }).finally(() => {
        if (this.#running) this.#scheduleProbe()
      })
    })
  }
}
