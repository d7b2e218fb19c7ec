/**
 * Merkle anti-entropy (Dynamo §4.7). In a round, this peer compares each partition it
 * replicates with every other reachable replica of it: roots first, then only the children
 * of differing nodes, then the entries of differing leaf buckets, which name the differing
 * keys. Those keys are fetched, merged locally (DVV sync: concurrent siblings are kept, never
 * overwritten) and the merged versions pushed back, so both sides are equal after one
 * exchange. Identical partitions cost one 'ae-nodes' request per replica: the cost grows
 * with the difference, not with the data.
 */
import { preferenceList, replicaPartitions } from '@ringstore/core'
import type { PeerId } from '@ringstore/core'
import type { PeerContext } from './components.js'
import { describeError, forEachBounded, isUnreachable } from './cluster-rpc.js'
import { PeriodicTask, SerialRunner } from './cluster-timer.js'
import { differingKeys, repairKeys } from './anti-entropy-walk.js'

/**
 * Partitions compared at the same time. Each exchange has one request in flight, so this
 * bounds both the requests a round puts on the network and the memory of fetched versions.
 */
export const AE_PARTITIONS_IN_FLIGHT = 4

export interface AntiEntropyResult {
  /** Partitions this peer replicates and compared (with at least one other replica). */
  readonly partitions: number
  /** Keys on which the two sides held different versions and that were reconciled. */
  readonly keysRepaired: number
}

export class AntiEntropy {
  readonly #ctx: PeerContext
  readonly #runner = new SerialRunner()
  readonly #periodic: PeriodicTask
  #stopped = false

  constructor (ctx: PeerContext) {
    this.#ctx = ctx
    this.#periodic = new PeriodicTask(ctx.clock, ctx.config.antiEntropyIntervalMs, async () => await this.runRound())
  }

  start (): void {
    this.#stopped = false
    this.#periodic.start()
  }

  stop (): void {
    this.#stopped = true
    this.#periodic.stop()
  }

  /** One full round; a round asked while one runs starts after it. */
  async runRound (): Promise<AntiEntropyResult> {
    return await this.#runner.run(async () => await this.#round())
  }

  async #round (): Promise<AntiEntropyResult> {
    const ctx = this.#ctx
    const ring = ctx.membership.ring()
    const n = ctx.config.n
    const work: Array<{ partition: number, peers: PeerId[] }> = []
    for (const partition of replicaPartitions(ring, ctx.id, n)) {
      const peers = preferenceList(ring, partition, n).filter((peer) => peer !== ctx.id && ctx.detector.isReachable(peer))
      if (peers.length > 0) work.push({ partition, peers })
    }
    let keysRepaired = 0
    await forEachBounded(work, AE_PARTITIONS_IN_FLIGHT, async ({ partition, peers }) => {
      for (const peer of peers) {
        if (this.#stopped) return
        // Not `keysRepaired += await …`: that reads the sum before the await and loses
        // the increments of the exchanges running alongside.
        const repaired = await this.#exchange(partition, peer)
        keysRepaired += repaired
      }
    })
    ctx.metrics.antiEntropyRounds++
    ctx.metrics.antiEntropyKeysRepaired += keysRepaired
    return { partitions: work.length, keysRepaired }
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
