/**
 * The benchmark's command line (`npm run bench -- [options]`). Defaults are the full run
 * of the workloads in bench/README.md; `--quick` shrinks every count for a smoke run.
 */
import { parseArgs } from 'node:util'

export const SECTIONS = ['floor', 'cluster', 'w1', 'w2', 'browser', 'watch', 'ring'] as const
export type Section = typeof SECTIONS[number]

export interface BenchOptions {
  readonly quick: boolean
  readonly sections: ReadonlySet<Section>
  /** Measured seconds of each timed phase (closed loop, open loop, floor runs). */
  readonly durationS: number
  /** Unmeasured lead-in of each timed phase. */
  readonly warmupS: number
  /** Cluster: keys preloaded and then read/updated, value size, clients, open-loop rate. */
  readonly keys: number
  readonly valueBytes: number
  readonly concurrency: number
  readonly rate: number
  /** A second open-loop phase at this fraction of the closed-loop throughput (0 = none). */
  readonly openFraction: number
  /** An open-loop phase at this low rate, where the tail is judged against the floor (0 = none). */
  readonly lowRate: number
  readonly readRatio: number
  /** Two-peer workload sizes (bench/README.md: 10,000 / 1,000 at 200/s / 1,000). */
  readonly w1Keys: number
  readonly w1InFlight: number
  readonly w1cKeys: number
  readonly w1cRate: number
  readonly w2Keys: number
  /** Browser section: offline puts, IndexedDB puts per path, and offline changes synced after reconnect. */
  readonly browserPuts: number
  /** Result file; default bench/results/latest.json (+ a dated copy) for a full run. */
  readonly out: string | undefined
  /** Keep the temporary data dirs and daemon logs. */
  readonly keep: boolean
  readonly logLevel: string
}

export const HELP = `npm run bench -- [options]

  --quick                 smoke run: small counts, ~1-1.5 min (results to bench/results/quick.json)
  --only SECTION          floor | cluster | w1 | w2 | browser | watch | ring (repeatable or comma-separated; default all)
  --duration S            measured seconds per timed phase (default 20; quick 2)
  --warmup S              unmeasured seconds before each timed phase (default 2; quick 0.3)
  --keys N                cluster keys preloaded and then read/updated (default 10000; quick 1000)
  --value-bytes N         cluster value size (default 1024)
  --concurrency C         closed-loop clients / floor requests in flight (default 64)
  --rate R                open-loop arrivals per second (default 2000)
  --open-fraction F       also an open loop at F × the closed-loop ops/s (default 0.5; 0 = skip)
  --low-rate R            also an open loop at R ops/s, the tail-latency phase (default 300; 0 = skip)
  --read-ratio X          share of reads in the cluster mix (default 0.5)
  --w1-keys N             W1a/W1b writes (default 10000; quick 2000)
  --w1-inflight N         W1a writes in flight (default 64)
  --w1c-keys N            W1c writes (default 1000; quick 200)
  --w1c-rate R            W1c writes per second (default 200)
  --w2-keys N             W2 writes while B is down (default 1000; quick 200)
  --browser-puts N        browser: offline puts, IndexedDB puts per path, offline changes to sync (default 1000; quick 200)
  --out FILE              result JSON path (default bench/results/latest.json + a dated copy)
  --keep                  keep temporary data dirs and daemon logs
  --log-level L           daemons' --log-level (default warn)
  -h, --help
`

export function parseOptions (argv: readonly string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string', multiple: true },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      keys: { type: 'string' },
      'value-bytes': { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      'open-fraction': { type: 'string' },
      'low-rate': { type: 'string' },
      'read-ratio': { type: 'string' },
      'w1-keys': { type: 'string' },
      'w1-inflight': { type: 'string' },
      'w1c-keys': { type: 'string' },
      'w1c-rate': { type: 'string' },
      'w2-keys': { type: 'string' },
      'browser-puts': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) return null
  const quick = values.quick === true
  const num = (name: string, raw: string | undefined, full: number, small: number, min: number, max: number): number => {
    const value = raw === undefined ? (quick ? small : full) : Number(raw)
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number in ${min}..${max}, got ${raw}`)
    return value
  }
  const int = (name: string, raw: string | undefined, full: number, small: number, min: number, max: number): number =>
    Math.round(num(name, raw, full, small, min, max))
  return {
    quick,
    sections: sectionsOf(values.only),
    durationS: num('duration', values.duration, 20, 2, 0.1, 3600),
    warmupS: num('warmup', values.warmup, 2, 0.3, 0, 600),
    keys: int('keys', values.keys, 10_000, 1_000, 1, 10_000_000),
    valueBytes: int('value-bytes', values['value-bytes'], 1024, 1024, 0, 1 << 20),
    concurrency: int('concurrency', values.concurrency, 64, 64, 1, 4096),
    rate: num('rate', values.rate, 2_000, 2_000, 1, 1_000_000),
    openFraction: num('open-fraction', values['open-fraction'], 0.5, 0.5, 0, 10),
    lowRate: num('low-rate', values['low-rate'], 300, 300, 0, 1_000_000),
    readRatio: num('read-ratio', values['read-ratio'], 0.5, 0.5, 0, 1),
    w1Keys: int('w1-keys', values['w1-keys'], 10_000, 2_000, 1, 10_000_000),
    w1InFlight: int('w1-inflight', values['w1-inflight'], 64, 64, 1, 4096),
    w1cKeys: int('w1c-keys', values['w1c-keys'], 1_000, 200, 1, 1_000_000),
    w1cRate: num('w1c-rate', values['w1c-rate'], 200, 200, 1, 100_000),
    w2Keys: int('w2-keys', values['w2-keys'], 1_000, 200, 1, 1_000_000),
    browserPuts: int('browser-puts', values['browser-puts'], 1_000, 200, 1, 100_000),
    out: values.out,
    keep: values.keep === true,
    logLevel: values['log-level'] ?? 'warn'
  }
}

function sectionsOf (only: string[] | undefined): ReadonlySet<Section> {
  if (only === undefined) return new Set(SECTIONS)
  const picked = new Set<Section>()
  for (const name of only.flatMap((s) => s.split(','))) {
    const section = SECTIONS.find((s) => s === name.trim())
    if (section === undefined) throw new Error(`--only takes ${SECTIONS.join(' | ')}, got ${name}`)
    picked.add(section)
  }
  return picked
}
