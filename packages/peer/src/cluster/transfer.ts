/**
 * Ownership transfer on ring change (Dynamo §4.9). When the ring changes, a peer may hold
 * partitions it no longer replicates (a new member took them, or this peer left). It pushes
 * their keys to every member of each such partition's current preference list and drops a
 * key only after ALL of them acknowledged it, and only if it did not change meanwhile
 * (compare-and-delete): the old owner lets go only once the new owners have the data.
 * A partition with an unreachable owner is kept whole and retried later.
 *
 * Light peers (weight 0) own nothing yet keep the local replica of what they read and wrote
 * (a cache; their writes reach the owners through hints): they never run transfer.
 */
import { LIMITS, preferenceList, replicaPartitions } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Ring } from '@ringstore/core'
import type { FailureDetector, MembershipView, ReplicaStore } from '../components.js'
import type { PeerConfig } from '../config.js'
import { TRANSFER_DEBOUNCE_MS, TRANSFER_RETRY_MS } from '../constants.js'
import { describeError } from '../errors.js'
import type { Clock, Logger } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import { partBatches } from '../protocol/batches.js'
import { askReplicaPutMany } from '../protocol/replica-put-many.js'
import type { PeerRpc } from '../protocol/rpc.js'
import type { BackgroundThrottle } from './background-throttle.js'
import { Debounce, PeriodicTask, SerialRunner } from './timers.js'

export interface TransferDeps {
  readonly id: PeerId
  readonly config: Pick<PeerConfig, 'n' | 'weight' | 'antiEntropyIntervalMs'>
  readonly clock: Clock
  readonly log: Logger
  readonly metrics: Pick<PeerMetrics, 'partitionsTransferred'>
  readonly replicas: Pick<ReplicaStore, 'partitions' | 'keysInPartition' | 'getMany' | 'dropIfUnchanged'>
  readonly membership: Pick<MembershipView, 'ring' | 'onRingChange'>
  readonly detector: Pick<FailureDetector, 'isReachable' | 'onReachable'>
  readonly rpc: PeerRpc
  /** Slows this work while foreground requests are slow (background-throttle.ts); absent: never. */
  readonly throttle?: Pick<BackgroundThrottle, 'pause'>
}

export interface TransferResult {
  /** Keys pushed to (and acknowledged by) every new owner. */
  readonly keysMoved: number
  /** Keys deleted locally after the hand-off (a key written meanwhile stays). */
  readonly keysDropped: number
}

export class OwnershipTransfer {
  readonly #ctx: TransferDeps
  readonly #runner = new SerialRunner()
  readonly #debounce: Debounce
  readonly #periodic: PeriodicTask
  #unsubscribe: Array<() => void> = []
  #started = false
  /** Set by stop(): a run in progress ends after its current partition. */
  #stopped = false

  constructor (ctx: TransferDeps) {
    this.#ctx = ctx
    this.#debounce = new Debounce(ctx.clock, TRANSFER_DEBOUNCE_MS, () => { this.#runInBackground() })
    const period = ctx.config.antiEntropyIntervalMs > 0 ? ctx.config.antiEntropyIntervalMs : TRANSFER_RETRY_MS
    this.#periodic = new PeriodicTask(ctx.clock, period, async () => await this.runOnce())
  }

  start (): void {
    if (this.#started) return
    this.#started = true
    this.#stopped = false
    this.#unsubscribe = [
      this.#ctx.membership.onRingChange(() => { this.#debounce.trigger() }),
      // An owner we were waiting for came back: the pending partitions can move now.
      this.#ctx.detector.onReachable(() => { this.#debounce.trigger() })
    ]
    this.#periodic.start()
    // Data left over from before a restart may belong to others under the current ring.
    this.#debounce.trigger()
  }

  stop (): void {
    this.#started = false
    this.#stopped = true
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#unsubscribe = []
    this.#debounce.cancel()
    this.#periodic.stop()
  }

  /** One pass over every locally held partition this peer does not replicate. */
  async runOnce (): Promise<TransferResult> {
    return await this.#runner.run(async () => await this.#run())
  }

  #runInBackground (): void {
    if (!this.#started) return
    this.runOnce().catch((error: unknown) => {
      this.#ctx.log.error('ownership transfer failed', { error: describeError(error) })
    })
  }

  async #run (): Promise<TransferResult> {
    const ctx = this.#ctx
    let keysMoved = 0
    let keysDropped = 0
    if (ctx.config.weight === 0) return { keysMoved, keysDropped }
    const ring = ctx.membership.ring()
    const replicated = new Set(replicaPartitions(ring, ctx.id, ctx.config.n))
    for (const partition of ctx.replicas.partitions()) {
      if (replicated.has(partition)) continue
      // A newer ring makes our targets stale; the ring-change trigger runs us again.
      if (this.#stopped || ctx.membership.ring() !== ring) break
      const result = await this.#transferPartition(ring, partition)
      keysMoved += result.keysMoved
      keysDropped += result.keysDropped
    }
    return { keysMoved, keysDropped }
  }

  async #transferPartition (ring: Ring, partition: number): Promise<TransferResult> {
    const ctx = this.#ctx
    const owners = preferenceList(ring, partition, ctx.config.n)
    let keysMoved = 0
    let keysDropped = 0
    // No owner at all (every member left): nobody could take the data; keep it.
    if (owners.length === 0 || owners.some((peer) => !ctx.detector.isReachable(peer))) {
      return { keysMoved, keysDropped }
    }
    const keys: Key[] = []
    for await (const [key] of ctx.replicas.keysInPartition(partition)) keys.push(key)
    for (let i = 0; i < keys.length; i += LIMITS.batchKeys) {
      if (i > 0) await ctx.throttle?.pause()
      const batch = keys.slice(i, i + LIMITS.batchKeys)
      const clocks = await ctx.replicas.getMany(batch)
      const items = batch.flatMap((key, k) => {
        const clock = clocks[k] ?? null
        return clock === null ? [] : [[key, clock] as const]
      })
      // A key too large for one frame goes as parts: it is moved (and may be dropped here)
      // once the batch carrying its last part is acknowledged (`complete`).
      for (const { items: chunk, complete } of partBatches(items)) {
        if (!await this.#pushToAll(owners, partition, chunk) || ctx.membership.ring() !== ring) {
          return { keysMoved, keysDropped }
        }
        keysMoved += complete.length
        for (const [key, sent] of complete) {
          if (await ctx.replicas.dropIfUnchanged(key, sent)) keysDropped++
        }
      }
    }
    ctx.metrics.partitionsTransferred++
    ctx.log.info('partition handed off', { partition, owners, keysMoved, keysDropped })
    return { keysMoved, keysDropped }
  }

  /** True iff every owner acknowledged the batch. */
  async #pushToAll (owners: readonly PeerId[], partition: number, items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<boolean> {
    const results = await Promise.allSettled(owners.map(async (peer) => {
      await askReplicaPutMany(this.#ctx.rpc, peer, items)
    }))
    const failed = results.flatMap((r, i) => r.status === 'rejected' ? [{ peer: owners[i], error: describeError(r.reason) }] : [])
    if (failed.length > 0) this.#ctx.log.warn('transfer batch not acknowledged by every owner: keeping the partition', { partition, failed })
    return failed.length === 0
  }
}
