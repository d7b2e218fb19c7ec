/**
 * The clocks a store decoded lately, each with the exact stored bytes it came from: a read
 * whose record is byte for byte the one cached skips the decode (`openClock`,
 * stored-clock.ts). Decoding a stored clock was a fifth of a simulated cluster's CPU once
 * busy keys kept a few hundred entries (young records: core versions-prune.ts); comparing
 * the bytes costs a small part of that.
 *
 * A hit is checked against what storage returned now, so the cache can never serve a
 * version other than the stored one, whoever wrote it (a merge, a transfer's delete, a
 * test corrupting a record): it only ever saves work. It keeps its own copy of the bytes,
 * since a store may hand out a buffer it reuses. LRU within a byte budget.
 */
import { equalBytes } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'

/** Clocks with fewer entries are not kept: they decode about as fast as they compare. */
export const OPENED_CLOCK_MIN_ENTRIES = 32

interface Opened {
  readonly bytes: Uint8Array
  readonly clock: DvvSet
}

export class OpenedClocks {
  readonly #entries = new Map<string, Opened>()
  readonly #budgetBytes: number
  #bytes = 0

  /** `budgetBytes`: the most stored bytes kept (the decoded clocks take about as much again). */
  constructor (budgetBytes: number) {
    this.#budgetBytes = budgetBytes
  }

  /** The clock decoded from exactly `bytes` under `id`, if still cached. */
  lookup (id: string, bytes: Uint8Array): DvvSet | undefined {
    const hit = this.#entries.get(id)
    if (hit === undefined) return undefined
    if (!equalBytes(hit.bytes, bytes)) return undefined
    // Most recently used last: eviction takes the first.
    this.#entries.delete(id)
    this.#entries.set(id, hit)
    return hit.clock
  }

  /**
   * Remember that `bytes` (stored under `id`) decode to `clock`, if it is worth it: a clock
   * of a few entries decodes in microseconds, and caching the keys of an ordinary workload
   * (thousands of keys read at random, a handful of actors each) only cost memory and
   * collector time: with every clock cached, the bench's 3-daemon cluster answered gets at
   * 300 ops/s with a p99.9 of 31.7 ms, against 6.8-8.5 ms without the cache (bench/README.md).
   */
  remember (id: string, bytes: Uint8Array, clock: DvvSet): void {
    this.forget(id)
    if (clock.entries.length < OPENED_CLOCK_MIN_ENTRIES) return
    // One record may not take more than a quarter of the budget: a huge key would evict the rest.
    if (bytes.length > this.#budgetBytes / 4) return
    this.#entries.set(id, { bytes: bytes.slice(), clock })
    this.#bytes += bytes.length
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#budgetBytes) break
      this.#entries.delete(oldest)
      this.#bytes -= entry.bytes.length
    }
  }

  forget (id: string): void {
    const held = this.#entries.get(id)
    if (held === undefined) return
    this.#entries.delete(id)
    this.#bytes -= held.bytes.length
  }

  /** Bytes held (for tests). */
  get bytes (): number {
    return this.#bytes
  }
}
