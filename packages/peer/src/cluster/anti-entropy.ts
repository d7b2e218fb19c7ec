/**
 * Merkle anti-entropy (Dynamo §4.7). In a round, this peer compares each partition it
 * replicates with every other reachable replica of it: first the roots of all partitions
 * shared with a peer, AE_ROOTS_PER_REQUEST (constants.ts) per 'ae-roots' request; then, only for the
 * partitions whose roots differ, the walk down the tree: the children of differing nodes,
 * then the entries of differing leaf buckets, which name the differing keys. Those keys are
 * fetched, merged locally (DVV sync: concurrent siblings are kept, never overwritten) and
 * the merged versions pushed back, so both sides are equal after one exchange. Identical
 * partitions cost 1/AE_ROOTS_PER_REQUEST of a request each: the cost grows with the
 * difference, not with the data. A peer that does not know 'ae-roots' (older version) is
 * compared by walking every shared partition from its root, one 'ae-nodes' each.
 *
 * The periodic rounds run in the background of live traffic, so they are paced: one
 * exchange at a time, with a pause every few ms (see Pacer). A round asked for explicitly
 * (tests, the simulator, after a heal) runs at full speed.
 */
import { preferenceList, replicaPartitions } from '@ringstore/core'
import type { PeerId } from '@ringstore/core'
import type { FailureDetector, MembershipView } from '../components.js'
import type { PeerConfig } from '../config.js'
import { AE_PACE, AE_PARTITIONS_IN_FLIGHT } from '../constants.js'
import { describeError, isUnreachable } from '../errors.js'
import type { Clock } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import type { BackgroundThrottle } from './background-throttle.js'
import { Pacer, PeriodicTask, SerialRunner, forEachBounded } from './timers.js'
import { differingKeys, differingPartitions, repairKeys } from './anti-entropy-walk.js'
import type { AntiEntropyWalkDeps } from './anti-entropy-walk.js'

export interface AntiEntropyDeps extends AntiEntropyWalkDeps {
  readonly id: PeerId
  readonly config: Pick<PeerConfig, 'q' | 'n' | 'antiEntropyIntervalMs'>
  readonly clock: Clock
  readonly metrics: Pick<PeerMetrics, 'antiEntropyRounds' | 'antiEntropyKeysRepaired'>
  readonly membership: Pick<MembershipView, 'ring'>
  readonly detector: Pick<FailureDetector, 'isReachable'>
  /** Slows this work while foreground requests are slow (background-throttle.ts); absent: never. */
  readonly throttle?: Pick<BackgroundThrottle, 'pause'>
}

export interface AntiEntropyResult {
  /** Partitions this peer replicates and compared (with at least one other replica). */
  readonly partitions: number
  /** Keys on which the two sides held different versions and that were reconciled. */
  readonly keysRepaired: number
}

export class AntiEntropy {
  readonly #ctx: AntiEntropyDeps
  readonly #runner = new SerialRunner()
  readonly #periodic: PeriodicTask
  #stopped = false

  constructor (ctx: AntiEntropyDeps) {
    this.#ctx = ctx
    this.#periodic = new PeriodicTask(ctx.clock, ctx.config.antiEntropyIntervalMs, async () => await this.#runner.run(async () => await this.#round(true)))
  }

  start (): void {
    this.#stopped = false
    this.#periodic.start()
  }

  stop (): void {
    this.#stopped = true
    this.#periodic.stop()
  }

  /** One full round at full speed; a round asked while one runs starts after it. */
  async runRound (): Promise<AntiEntropyResult> {
    return await this.#runner.run(async () => await this.#round(false))
  }

  /** `paced`: a background round (one exchange at a time, pausing; see AE_PACE). */
  async #round (paced: boolean): Promise<AntiEntropyResult> {
    const ctx = this.#ctx
    const { compared, sharedWith } = this.#sharedPartitions()
    let keysRepaired = 0
    const startedAt = ctx.clock.now()
    const pacer = paced ? new Pacer(ctx.clock, AE_PACE, ctx.throttle) : undefined
    const step = async (): Promise<void> => { await pacer?.step() }
    const inFlight = paced ? 1 : AE_PARTITIONS_IN_FLIGHT
    // Roots first, a chunk of partitions per request; only differing partitions are walked.
    const walks = new Map<number, PeerId[]>()
    await forEachBounded([...sharedWith], inFlight, async ([peer, partitions]) => {
      if (this.#stopped) return
      for (const partition of await this.#differingPartitions(peer, partitions, step)) {
        const peers = walks.get(partition)
        if (peers === undefined) walks.set(partition, [peer])
        else peers.push(peer)
      }
    })
    const work = [...walks].sort(([a], [b]) => a - b)
    await forEachBounded(work, inFlight, async ([partition, peers]) => {
      for (const peer of peers) {
        if (this.#stopped) return
        // Not `keysRepaired += await …`: that reads the sum before the await and loses
        // the increments of the exchanges running alongside.
        const repaired = await this.#exchange(partition, peer)
        keysRepaired += repaired
        await step()
      }
    })
    ctx.metrics.antiEntropyRounds++
    ctx.metrics.antiEntropyKeysRepaired += keysRepaired
    ctx.log.debug('anti-entropy round', { partitions: compared, walked: work.length, keysRepaired, startedAt, ms: ctx.clock.now() - startedAt })
    return { partitions: compared, keysRepaired }
  }

  /**
   * The partitions this peer replicates, grouped by the other reachable replicas holding
   * them (partition order within a peer); `compared` counts those with at least one.
   */
  #sharedPartitions (): { compared: number, sharedWith: Map<PeerId, number[]> } {
    const ctx = this.#ctx
    const ring = ctx.membership.ring()
    const n = ctx.config.n
    const sharedWith = new Map<PeerId, number[]>()
    let compared = 0
    for (const partition of replicaPartitions(ring, ctx.id, n)) {
      const peers = preferenceList(ring, partition, n).filter((peer) => peer !== ctx.id && ctx.detector.isReachable(peer))
      if (peers.length > 0) compared++
      for (const peer of peers) {
        const partitions = sharedWith.get(peer)
        if (partitions === undefined) sharedWith.set(peer, [partition])
        else partitions.push(partition)
      }
    }
    return { compared, sharedWith }
  }

  /** The partitions to walk with `peer`; a failure is logged and walks none. */
  async #differingPartitions (peer: PeerId, partitions: readonly number[], afterEach: () => Promise<void>): Promise<number[]> {
    try {
      return await differingPartitions(this.#ctx, peer, partitions, afterEach)
    } catch (error) {
      const level = isUnreachable(error) ? 'debug' : 'warn'
      this.#ctx.log[level]('anti-entropy roots exchange failed', { peer, partitions: partitions.length, error: describeError(error) })
      return []
    }
  }

  /** Compare and repair one partition with one peer; failures are logged and skipped. */
  async #exchange (partition: number, peer: PeerId): Promise<number> {
    try {
      const keys = await differingKeys(this.#ctx, partition, peer)
      if (keys.length === 0 || this.#stopped) return 0
      return await repairKeys(this.#ctx, peer, keys)
    } catch (error) {
      const level = isUnreachable(error) ? 'debug' : 'warn'
      this.#ctx.log[level]('anti-entropy exchange failed', { partition, peer, error: describeError(error) })
      return 0
    }
  }
}
