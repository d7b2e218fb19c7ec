/**
 * Seeded randomness for the simulator. Everything random in a run (latencies, losses,
 * fault schedule, workload, each peer's Clock.random) draws from one of these streams,
 * and every stream derives from the run's seed, so a seed replays the run exactly.
 *
 * Streams are forked by label (`rng.fork('network')`), and a fork depends only on the
 * seed and the chain of labels, never on how many numbers were drawn before: adding a
 * draw to the workload does not shift the fault schedule or the network's latencies
 * (TigerBeetle's and Yjs's simulators keep the same discipline).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus'
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator'

/** A seed must be a safe integer so that the replay command can print it exactly. */
export class InvalidSeedError extends Error {
  static override name = 'InvalidSeedError'
  override name = 'InvalidSeedError'
}

export class Rng {
  private readonly gen: RandomGenerator

  private constructor (private readonly path: string) {
    const digest = sha256(utf8ToBytes(path))
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength)
    const state = [view.getInt32(0), view.getInt32(4), view.getInt32(8), view.getInt32(12)]
    // xoroshiro's all-zero state is a fixed point; sha256 makes it astronomically unlikely,
    // but one flipped bit costs nothing and removes the case.
    if (!state.some((word) => word !== 0)) state[0] = 1
    this.gen = xoroshiro128plusFromState(state)
  }

  /** The root stream of a run. */
  static fromSeed (seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new InvalidSeedError(`seed must be a safe integer, got ${seed}`)
    return new Rng(`ringstore-sim/${seed}`)
  }

  /** An independent stream named `label`: same seed and label chain → same numbers. */
  fork (label: string): Rng {
    return new Rng(`${this.path}/${label}`)
  }

  /** Uniform float in [0, 1). */
  float (): number {
    return uniformFloat64(this.gen)
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int (lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) throw new RangeError(`bad range [${lo}, ${hi}]`)
    return uniformInt(this.gen, lo, hi)
  }

  /** True with probability p. */
  chance (p: number): boolean {
    if (p <= 0) return false
    if (p >= 1) return true
    return this.float() < p
  }

  /** One element, uniformly. */
  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list')
    return items[this.int(0, items.length - 1)] as T
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T> (items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      const tmp = out[i] as T
      out[i] = out[j] as T
      out[j] = tmp
    }
    return out
  }

  /** Exponentially distributed with the given mean (for latency jitter: long tail, reorders). */
  exponential (mean: number): number {
    if (mean <= 0) return 0
    return -mean * Math.log(1 - this.float())
  }
}
