/**
 * The daemon's garbage-collection pauses: each one V8 reports (node:perf_hooks' `gc` entries)
 * counted in a histogram by kind (`ringstore_gc_pause_seconds{kind}`). The event loop stands
 * still for a pause, so a request arriving then waits it out: beside the event-loop delay
 * (event-loop-delay.ts), this says how much of a stall was the collector and how much was
 * the daemon's own code. The bench reads its `_sum` per phase (bench/loop-delay.ts).
 *
 * Cost: one observer callback per collection, with no timer of its own.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { Histogram } from '../prometheus.js'
import type { HistogramSeries } from '../prometheus.js'

/** Seconds: a scavenge takes well under a millisecond, a full mark-compact of a big heap hundreds. */
export const GC_PAUSE_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1]

/** V8's collection kinds, as `detail.kind` reports them. */
const KINDS: ReadonlyArray<readonly [number, string]> = [
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb']
]

/** What a `gc` performance entry carries that is read here (Node's typings omit `detail`). */
export interface GcEntry {
  readonly duration: number
  readonly detail?: { readonly kind?: number } | null
}

export class GcPauses {
  readonly #byKind = new Map<string, Histogram>(KINDS.map(([, name]) => [name, new Histogram(GC_PAUSE_BUCKETS_S)]))
  #observer: PerformanceObserver | undefined

  start (): void {
    if (this.#observer !== undefined) return
    this.#observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.observe(entry as GcEntry)
    })
    this.#observer.observe({ entryTypes: ['gc'] })
  }

  stop (): void {
    this.#observer?.disconnect()
    this.#observer = undefined
  }

  /** One `gc` entry (its duration is in ms; `detail.kind` says which collection). */
  observe (entry: GcEntry): void {
    const kind = entry.detail?.kind
    const name = KINDS.find(([k]) => k === kind)?.[1] ?? 'minor'
    this.#byKind.get(name)?.observe(entry.duration / 1000)
  }

  series (): HistogramSeries[] {
    return [...this.#byKind].map(([kind, histogram]) => histogram.series({ kind }))
  }
}
