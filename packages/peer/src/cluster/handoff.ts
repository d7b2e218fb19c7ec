/**
 * Hinted handoff (paper §4.6): deliver the hints this peer keeps to their targets. Every
 * hintRetryBaseMs a tick tries each target whose back-off has expired; a failed delivery
 * doubles that target's back-off up to hintRetryMaxMs; a success, or the failure detector
 * seeing the target come back, resets it (and a comeback delivers at once). A hint is
 * deleted only after the target acknowledged it and only if it did not change meanwhile.
 *
 * A light peer that wrote while it knew no owner at all (a tab that started offline) has
 * no hints for those writes: nobody was known to hint for. When its ring first gains
 * owners, it hints every key of its local replica to that key's primaries.
 *
 * A target that has left the cluster will never acknowledge: its hints are re-routed to
 * the key's current owners instead (merged locally when this peer is one, re-hinted to the
 * others), and only then removed — the version is durable here at every step.
 */
import { hasNoOwners, partitionOf, preferenceList } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Ring } from '@ringstore/core'
import type { FailureDetector, HintStore, MembershipView, ReplicaStore } from '../components.js'
import type { PeerConfig } from '../config.js'
import { HINT_DELIVERY_PIPELINE } from '../constants.js'
import { HintQuotaError, describeError } from '../errors.js'
import type { Clock, Logger, TimerHandle } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import { partBatches } from '../protocol/batches.js'
import type { ReplicaAccess } from '../protocol/replica-access.js'
import type { BackgroundThrottle } from './background-throttle.js'

export interface HintedHandoffDeps {
  readonly id: PeerId
  readonly config: Pick<PeerConfig, 'n' | 'weight' | 'hintBatch' | 'hintRetryBaseMs' | 'hintRetryMaxMs'>
  readonly clock: Clock
  readonly log: Logger
  readonly metrics: Pick<PeerMetrics, 'hintsDelivered'>
  readonly hints: HintStore
  readonly replicas: Pick<ReplicaStore, 'partitions' | 'keysInPartition' | 'merge'>
  readonly membership: Pick<MembershipView, 'ring' | 'member' | 'onRingChange'>
  readonly detector: Pick<FailureDetector, 'onReachable'>
  readonly access: Pick<ReplicaAccess, 'putMany'>
  /** Slows this work while foreground requests are slow (background-throttle.ts); absent: never. */
  readonly throttle?: Pick<BackgroundThrottle, 'pause'>
}

/** Resolves on a later event-loop turn (a 0 ms timer: virtual time in the simulator). */
function nextTurn (clock: Clock): Promise<void> {
  return new Promise((resolve) => { clock.setTimer(0, resolve) })
}

/** One delivery run to one target: what it delivered, and its first error. */
interface DeliveryRun {
  delivered: number
  failure?: { readonly error: unknown }
}

interface Backoff {
  readonly delayMs: number
  readonly nextAttemptAt: number
}

export class HintedHandoff {
  readonly #ctx: HintedHandoffDeps
  readonly #backoff = new Map<PeerId, Backoff>()
  readonly #inFlight = new Map<PeerId, Promise<number>>()
  /** Targets that came back while a run to them was in flight: run again once it ends. */
  readonly #again = new Set<PeerId>()
  #timer: TimerHandle | undefined
  /** A periodic run is in progress (the timer is re-armed when it ends). */
  #ticking = false
  #unsubscribe: Array<() => void> = []
  #running = false

  constructor (ctx: HintedHandoffDeps) {
    this.#ctx = ctx
  }

  start (): void {
    if (this.#running) return
    this.#running = true
    this.#unsubscribe = [
      this.#ctx.detector.onReachable((peer) => {
        this.#backoff.delete(peer)
        if (this.#running && this.#ctx.hints.targets().includes(peer)) this.#deliverInBackground(peer, true)
      }),
      this.#ctx.membership.onRingChange((previous, next) => {
        if (this.#running && this.#ctx.config.weight === 0 && hasNoOwners(previous) && !hasNoOwners(next)) void this.#hintOrphans(next)
      }),
      this.#ctx.hints.onAdd(() => { this.#arm() })
    ]
    this.#arm()
  }

  stop (): void {
    this.#running = false
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#unsubscribe = []
    this.#again.clear()
    if (this.#timer !== undefined) this.#ctx.clock.clearTimer(this.#timer)
    this.#timer = undefined
  }

  /** Try every target now, ignoring back-off. Resolves with the number of hints delivered. */
  async deliverNow (): Promise<number> {
    const counts = await Promise.all(this.#ctx.hints.targets().map((target) => this.#deliverTo(target)))
    return counts.reduce((a, b) => a + b, 0)
  }

  /** Back-off state of a target (for tests and status): undefined when none is pending. */
  backoffOf (target: PeerId): Backoff | undefined {
    return this.#backoff.get(target)
  }

  /** Hint every local key to its primaries (see the file comment). */
  async #hintOrphans (ring: Ring): Promise<void> {
    const { replicas, hints, config, log } = this.#ctx
    let hinted = 0
    try {
      for (const partition of replicas.partitions()) {
        for await (const [key, clock] of replicas.keysInPartition(partition)) {
          for (const primary of preferenceList(ring, partitionOf(key, ring.q), config.n)) {
            if (primary === this.#ctx.id) continue
            await hints.add(primary, key, clock)
            hinted++
          }
        }
      }
      log.info('light peer learnt the ring: local writes hinted to their owners', { hinted })
    } catch (error) {
      log.error('could not hint local writes to their owners', { error: describeError(error) })
    }
  }

  /**
   * Runs #tick every hintRetryBaseMs while this peer holds hints, and not at all while it
   * holds none (the store's onAdd wakes it): a member's background work costs what it
   * holds, not a timer per peer and period (a simulated thousand-peer cluster fired ten
   * thousand empty runs per virtual second).
   */
  #arm (): void {
    if (!this.#running || this.#timer !== undefined || this.#ticking || this.#ctx.hints.pending() === 0) return
    this.#timer = this.#ctx.clock.setTimer(this.#ctx.config.hintRetryBaseMs, () => {
      this.#timer = undefined
      if (!this.#running) return
      this.#ticking = true
      void this.#tick().finally(() => {
        this.#ticking = false
        this.#arm()
      })
    })
  }

  async #tick (): Promise<void> {
    const now = this.#ctx.clock.now()
    const due = this.#ctx.hints.targets().filter((target) => (this.#backoff.get(target)?.nextAttemptAt ?? 0) <= now)
    // A run that throws (a storage error) is logged, never left as an unhandled rejection.
    await Promise.all(due.map(async (target) => {
      await this.#deliverTo(target).catch((error: unknown) => {
        this.#ctx.log.error('hint delivery failed', { target, error: describeError(error) })
      })
    }))
  }

  /**
   * One delivery run per target at a time; a second caller shares the run in flight. A
   * comeback (`again`) during a run also asks for one more run right after it: the run in
   * flight may have been started before the target came back (a dial that is failing)
   * and must not make the comeback wait for the back-off.
   */
  #deliverTo (target: PeerId, again = false): Promise<number> {
    let run = this.#inFlight.get(target)
    if (run !== undefined) {
      if (again) this.#again.add(target)
      return run
    }
    const work = this.#hasLeft(target) ? this.#reroute(target) : this.#deliver(target)
    run = work.finally(() => {
      this.#inFlight.delete(target)
      if (this.#again.delete(target) && this.#running && this.#ctx.hints.targets().includes(target)) {
        this.#backoff.delete(target)
        this.#deliverInBackground(target)
      }
    })
    this.#inFlight.set(target, run)
    return run
  }

  #deliverInBackground (target: PeerId, again = false): void {
    this.#deliverTo(target, again).catch((error: unknown) => {
      this.#ctx.log.error('hint delivery failed', { target, error: describeError(error) })
    })
  }

  #hasLeft (target: PeerId): boolean {
    return this.#ctx.membership.member(target)?.status === 'left'
  }

  /**
   * Hand the hints of a departed target to each key's current owners (file comment). A
   * hint an owner's quota refuses (HintQuotaError) stays for the departed target, so no
   * copy is dropped: it is tried again on a later tick, when delivery has made room, until
   * the age limit expires it (cluster/hint-expiry.ts).
   */
  async #reroute (target: PeerId): Promise<number> {
    const { hints, replicas, membership, config, id, log } = this.#ctx
    const ring = membership.ring()
    let rerouted = 0
    let overQuota = 0
    for (;;) {
      const batch = await hints.batch(target, config.hintBatch)
      if (batch.length === 0) break
      const handed: Array<readonly [Key, DvvSet]> = []
      for (const [key, clock] of batch) {
        const owners = preferenceList(ring, partitionOf(key, ring.q), config.n)
        // No owner known at all: keep the hint until the ring has one.
        if (owners.length === 0) return rerouted
        let kept = true
        for (const owner of owners) {
          if (owner === id) {
            await replicas.merge(key, clock)
            continue
          }
          try {
            await hints.add(owner, key, clock)
          } catch (error) {
            if (!(error instanceof HintQuotaError)) throw error
            kept = false
          }
        }
        if (kept) handed.push([key, clock])
        else overQuota++
      }
      const removed = await hints.remove(target, handed)
      rerouted += removed
      // Nothing removed: every hint changed meanwhile or was refused; the next tick takes them.
      if (removed === 0) break
    }
    if (rerouted > 0) log.info('hints of a departed peer re-routed to current owners', { target, rerouted })
    if (overQuota > 0) log.warn('hints of a departed peer kept for it: an owner\'s hint quota is full', { target, kept: overQuota })
    return rerouted
  }

  /**
   * Delivers the target's hints in key order, up to HINT_DELIVERY_PIPELINE batches in flight.
   * The next batch is read while the ones in flight are being merged, and a slot frees as
   * soon as the target acknowledges (deleting the delivered hints runs beside the next
   * send): the target, which acknowledges concurrent batches together (they share a
   * commit), then finds the next ones ready at once instead of waiting while we delete,
   * read and encode (8,000 hints: the target sat idle ~40% of the run). At the first
   * failure no further batch is sent; once everything in flight has settled (what was
   * acknowledged is deleted as usual) the target backs off.
   */
  async #deliver (target: PeerId): Promise<number> {
    const ctx = this.#ctx
    const { hints, config } = ctx
    const size = Math.max(1, config.hintBatch)
    // Enough batches to drain what is pending now; hints added behind the cursor meanwhile wait for the next tick.
    let batchesLeft = Math.ceil(hints.pending() / size) + 1
    const sending = new Set<Promise<void>>()
    const removing = new Set<Promise<void>>()
    const run: DeliveryRun = { delivered: 0 }
    const read = (after?: Key): Promise<Array<readonly [Key, DvvSet]>> => batchesLeft-- > 0 ? hints.batch(target, size, after) : Promise.resolve([])
    try {
      let next = read()
      while (run.failure === undefined) {
        const batch = await next
        const last = batch.at(-1)
        if (last === undefined || run.failure !== undefined) break
        const send: Promise<void> = this.#send(target, batch, run, removing).finally(() => sending.delete(send))
        sending.add(send)
        if (batch.length < size) break
        // Read ahead while the target merges what is in flight, on a later turn: frames
        // queued in one event-loop turn leave together at its end, so reading (and
        // decoding) the next batch in this turn would hold back the one just sent.
        // Under foreground pressure the next batch waits (the admission controller);
        // otherwise it is read on the next turn.
        next = nextTurn(ctx.clock).then(async () => { await ctx.throttle?.pause() }).then(() => read(last[0]))
        if (sending.size >= HINT_DELIVERY_PIPELINE) await Promise.race(sending)
      }
    } finally {
      await Promise.all(sending)
      await Promise.all(removing)
    }
    if (run.failure === undefined) this.#backoff.delete(target)
    else this.#backOff(target, run.failure.error)
    return run.delivered
  }

  /**
   * Sends one batch (split to fit a frame); resolves once the target acknowledged every
   * part, each part's deletion going into `removing`. Counts into `run.delivered`; the
   * first error of the run goes to `run.failure`.
   */
  async #send (target: PeerId, batch: ReadonlyArray<readonly [Key, DvvSet]>, run: DeliveryRun, removing: Set<Promise<void>>): Promise<void> {
    const ctx = this.#ctx
    try {
      // A hint too large for one frame (merged from several coordinators' versions) goes
      // as parts; it is removed with the batch carrying its last part (`complete`).
      for (const { items, complete } of partBatches(batch, batch.length)) {
        if (run.failure !== undefined) return
        await ctx.access.putMany(target, items)
        if (complete.length === 0) continue
        // Acknowledged: the target holds these versions durably. Deleted on a later turn,
        // for the same reason as the read-ahead: a send released by this ack goes first.
        const removal: Promise<void> = nextTurn(ctx.clock).then(() => ctx.hints.remove(target, complete)).then((count) => {
          ctx.metrics.hintsDelivered += count
          run.delivered += count
        }, (error: unknown) => {
          // Still stored: delivered again later (merging a version twice changes nothing).
          run.failure ??= { error }
        }).finally(() => removing.delete(removal))
        removing.add(removal)
      }
    } catch (error) {
      run.failure ??= { error }
    }
  }

  #backOff (target: PeerId, error: unknown): void {
    const { config, clock, log } = this.#ctx
    const previous = this.#backoff.get(target)
    const delayMs = previous === undefined ? config.hintRetryBaseMs : Math.min(previous.delayMs * 2, config.hintRetryMaxMs)
    this.#backoff.set(target, { delayMs, nextAttemptAt: clock.now() + delayMs })
    log.debug('hint delivery failed; backing off', { target, delayMs, error: describeError(error) })
  }
}
