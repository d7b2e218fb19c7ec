/**
 * A minimal Prometheus text-format (0.0.4) writer: counters, gauges and histograms with
 * labels. Written here instead of pulling prom-client: the daemon renders a snapshot of
 * numbers it already holds (engine and network counters), needs no registry, no default
 * process collectors and no global state, and the format is a few lines of text.
 */

export type Labels = Readonly<Record<string, string>>

export interface HistogramSeries {
  readonly labels: Labels
  /** Upper bounds, ascending (+Inf is added), and the cumulative count at each. */
  readonly buckets: ReadonlyArray<readonly [le: number, cumulative: number]>
  readonly sum: number
  readonly count: number
}

export class Exposition {
  readonly #lines: string[] = []

  counter (name: string, help: string, samples: ReadonlyArray<readonly [Labels, number]>): this {
    return this.#family(name, 'counter', help, samples)
  }

  gauge (name: string, help: string, samples: ReadonlyArray<readonly [Labels, number]>): this {
    return this.#family(name, 'gauge', help, samples)
  }

  histogram (name: string, help: string, series: readonly HistogramSeries[]): this {
    this.#header(name, 'histogram', help)
    for (const s of series) {
      for (const [le, cumulative] of s.buckets) this.#sample(`${name}_bucket`, { ...s.labels, le: formatNumber(le) }, cumulative)
      this.#sample(`${name}_bucket`, { ...s.labels, le: '+Inf' }, s.count)
      this.#sample(`${name}_sum`, s.labels, s.sum)
      this.#sample(`${name}_count`, s.labels, s.count)
    }
    return this
  }

  text (): string {
    return `${this.#lines.join('\n')}\n`
  }

  #family (name: string, type: string, help: string, samples: ReadonlyArray<readonly [Labels, number]>): this {
    this.#header(name, type, help)
    for (const [labels, value] of samples) this.#sample(name, labels, value)
    return this
  }

  #header (name: string, type: string, help: string): void {
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`)
  }

  #sample (name: string, labels: Labels, value: number): void {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    this.#lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatNumber(value)}`)
  }
}

function escapeLabel (value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatNumber (value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

/** A fixed-bucket histogram that only counts (no samples kept). */
export class Histogram {
  readonly #bounds: readonly number[]
  readonly #counts: number[]
  #sum = 0
  #count = 0

  constructor (bounds: readonly number[]) {
    this.#bounds = [...bounds].sort((a, b) => a - b)
    this.#counts = this.#bounds.map(() => 0)
  }

  observe (value: number): void {
    this.#sum += value
    this.#count++
    const index = this.#bounds.findIndex((le) => value <= le)
    if (index >= 0) this.#counts[index] = (this.#counts[index] ?? 0) + 1
  }

  series (labels: Labels): HistogramSeries {
    let cumulative = 0
    const buckets = this.#bounds.map((le, i): readonly [number, number] => {
      cumulative += this.#counts[i] ?? 0
      return [le, cumulative]
    })
    return { labels, buckets, sum: this.#sum, count: this.#count }
  }
}
