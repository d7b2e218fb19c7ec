/**
 * Tombstone garbage collection. A delete leaves a tombstone (a version whose siblings are
 * all null) so that the delete can win against older copies of the value. It may be removed
 * only when BOTH hold:
 *
 * 1. The grace period has passed since every one of its siblings was written
 *    (`tombstoneGraceMs`). Copies of the old value may still be in flight: hints waiting
 *    for a peer that is down, a hand-off to a new owner, a replica being repaired. The
 *    grace period is the bound we assume on those delays.
 * 2. No replica in the key's current preference list holds a different version: each
 *    answers with a clock equal to ours. A replica that missed the delete still holds the
 *    value; if we dropped our tombstone, anti-entropy between us would find "value vs
 *    nothing" and copy the value back: the deleted data would be resurrected. While the
 *    tombstone exists, the same exchange instead carries the delete to that replica.
 *
 * Deviation, on purpose: a replica answering "absent" counts as agreeing. It holds nothing
 * that could resurrect the value, and it is what a replica that already collected the
 * tombstone answers. Requiring strict equality would livelock: once the first replica
 * collects, the others see it absent and keep theirs forever (anti-entropy then copies the
 * tombstone back to the first, and round it goes). A replica that never received the value
 * nor the delete, but has a copy of the value still in flight to it, is covered by (1).
 *
 * An unreachable replica, or one that does not answer, keeps the tombstone (retried on the
 * next run). Removal is compare-and-delete: a write landing meanwhile keeps the key.
 *
 * A periodic run is paced like anti-entropy (AE_PACE, constants.ts): the scan of a partition reads
 * storage synchronously page by page and only awaits promises that are already resolved,
 * so a scan of the whole replica would otherwise hold the event loop for its full length.
 */
import { clockEqual, isTombstone, preferenceList, siblings } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { FailureDetector, MembershipView, ReplicaStore } from '../components.js'
import type { PeerConfig } from '../config.js'
import { AE_FETCH_KEYS, AE_PACE, GC_PERIOD_MAX_MS } from '../constants.js'
import { describeError, isUnreachable } from '../errors.js'
import type { Clock, Logger } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import { askReplicaGetMany } from '../protocol/replica-get-many.js'
import type { PeerRpc } from '../protocol/rpc.js'
import type { BackgroundThrottle } from './background-throttle.js'
import { Pacer, PeriodicTask, SerialRunner } from './timers.js'

export interface TombstoneCollectorDeps {
  readonly id: PeerId
  readonly config: Pick<PeerConfig, 'n' | 'antiEntropyIntervalMs' | 'tombstoneGraceMs'>
  readonly clock: Clock
  readonly log: Logger
  readonly metrics: Pick<PeerMetrics, 'tombstonesCollected'>
  readonly replicas: Pick<ReplicaStore, 'partitions' | 'keysInPartition' | 'dropIfUnchanged'>
  readonly membership: Pick<MembershipView, 'ring'>
  readonly detector: Pick<FailureDetector, 'isReachable'>
  /** Slows this work while foreground requests are slow (background-throttle.ts); absent: never. */
  readonly throttle?: Pick<BackgroundThrottle, 'pause'>
  readonly rpc: PeerRpc
}

export class TombstoneCollector {
  readonly #ctx: TombstoneCollectorDeps
  readonly #runner = new SerialRunner()
  readonly #periodic: PeriodicTask

  constructor (ctx: TombstoneCollectorDeps) {
    this.#ctx = ctx
    const { antiEntropyIntervalMs, tombstoneGraceMs } = ctx.config
    // antiEntropyIntervalMs = 0 means background maintenance runs only when asked.
    const period = antiEntropyIntervalMs > 0
      ? Math.min(Math.max(tombstoneGraceMs / 4, antiEntropyIntervalMs), GC_PERIOD_MAX_MS)
      : 0
    this.#periodic = new PeriodicTask(ctx.clock, period, async () => await this.#runner.run(async () => await this.#run(true)))
  }

  start (): void {
    this.#periodic.start()
  }

  stop (): void {
    this.#periodic.stop()
  }

  /** One pass over the local replica at full speed; resolves with the number of tombstones removed. */
  async runOnce (): Promise<number> {
    return await this.#runner.run(async () => await this.#run(false))
  }

  /** `paced`: a background run, pausing between partitions (see AE_PACE). */
  async #run (paced: boolean): Promise<number> {
    const ctx = this.#ctx
    const pacer = paced ? new Pacer(ctx.clock, AE_PACE, ctx.throttle) : undefined
    const cutoff = ctx.clock.now() - ctx.config.tombstoneGraceMs
    const ring = ctx.membership.ring()
    let collected = 0
    for (const partition of ctx.replicas.partitions()) {
      const owners = preferenceList(ring, partition, ctx.config.n)
      const others = owners.filter((peer) => peer !== ctx.id)
      // No owner (every member left) means nobody to agree with: keep.
      if (owners.length === 0 || others.some((peer) => !ctx.detector.isReachable(peer))) continue
      const candidates: Array<readonly [Key, DvvSet]> = []
      for await (const [key, clock] of ctx.replicas.keysInPartition(partition)) {
        if (isTombstone(clock) && siblings(clock).every((s) => s.ts < cutoff)) candidates.push([key, clock])
      }
      for (let i = 0; i < candidates.length; i += AE_FETCH_KEYS) {
        collected += await this.#collectBatch(others, candidates.slice(i, i + AE_FETCH_KEYS))
      }
      await pacer?.step()
    }
    ctx.metrics.tombstonesCollected += collected
    return collected
  }

  /** Drops the tombstones of `batch` that every other replica holds equal (or no longer holds). */
  async #collectBatch (others: readonly PeerId[], batch: ReadonlyArray<readonly [Key, DvvSet]>): Promise<number> {
    const ctx = this.#ctx
    const agreed = new Map<Key, DvvSet>(batch)
    for (const peer of others) {
      let theirs: Map<Key, DvvSet | null>
      try {
        theirs = await askReplicaGetMany(ctx.rpc, peer, [...agreed.keys()])
      } catch (error) {
        ctx.log[isUnreachable(error) ? 'debug' : 'warn']('tombstone check failed: keeping', { peer, error: describeError(error) })
        return 0
      }
      for (const [key, ours] of agreed) {
        const remote = theirs.get(key)
        // Unanswered (undefined) or a different version: that replica is not done with this key.
        if (remote === undefined || (remote !== null && !clockEqual(remote, ours))) agreed.delete(key)
      }
      if (agreed.size === 0) return 0
    }
    let dropped = 0
    for (const [key, ours] of agreed) {
      if (await ctx.replicas.dropIfUnchanged(key, ours)) dropped++
    }
    return dropped
  }
}
