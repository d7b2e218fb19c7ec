/**
 * Latency samples and their summary. Raw samples are kept (a run records at most a few
 * hundred thousand), so percentiles are exact rather than bucketed.
 */

export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p99: number
  readonly p999: number
  readonly max: number
  readonly mean: number
}

/** Growable Float64Array of latencies in milliseconds. */
export class Samples {
  #data = new Float64Array(1024)
  #length = 0

  get length (): number {
    return this.#length
  }

  add (ms: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2)
      bigger.set(this.#data)
      this.#data = bigger
    }
    this.#data[this.#length++] = ms
  }

  values (): Float64Array {
    return this.#data.subarray(0, this.#length)
  }

  summary (): LatencySummary {
    return summarize(this.values())
  }
}

/** Exact percentiles (nearest rank) of `values`; all zero when empty. */
export function summarize (values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  if (n === 0) return { count: 0, p50: 0, p99: 0, p999: 0, max: 0, mean: 0 }
  const rank = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] ?? 0
  let total = 0
  for (const v of sorted) total += v
  return {
    count: n,
    p50: round3(rank(0.5)),
    p99: round3(rank(0.99)),
    p999: round3(rank(0.999)),
    max: round3(sorted[n - 1] ?? 0),
    mean: round3(total / n)
  }
}

export function round3 (x: number): number {
  return Math.round(x * 1000) / 1000
}
