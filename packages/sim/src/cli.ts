/**
 * `npm run sim -- --peers 5 --seeds 1000`: run many seeds, print a deterministic summary,
 * exit non-zero when any invariant was violated. `--seed N` replays one seed.
 */
import { parseArgs } from 'node:util'
import { UsageError } from '@ringstore/core'
import { CLIENT_SESSION_MEMBERS, CLIENT_SESSION_WARMUP, DEFAULT_FIRST_SEED, DEFAULT_FSYNC_MS, DEFAULT_SEEDS, PROGRESS_EVERY, WARM_START_MIN_PEERS } from './constants.js'
import { DEFAULT_RUN_OPTIONS, runSeed } from './run.js'
import type { RunOptions, RunResult } from './run.js'
import { formatFailure, formatSummary, summarize } from './summary.js'
import { formatConvergence, measureConvergence } from './convergence.js'
import { formatClientSessions, runClientSessions } from './client-sessions.js'
import type { ConvergenceFigure } from './convergence.js'
import type { FaultLevel } from './workload.js'

const HELP = `ringstore deterministic simulator

usage: npm run sim -- [options]

  --peers N        peers per cluster (default ${DEFAULT_RUN_OPTIONS.peers})
  --seeds N        number of seeds to run (default ${DEFAULT_SEEDS})
  --from N         first seed (default ${DEFAULT_FIRST_SEED})
  --seed N         replay exactly this one seed
  --ops N          operations per seed (default ${DEFAULT_RUN_OPTIONS.ops})
  --keys N         key space size (default ${DEFAULT_RUN_OPTIONS.keys})
  --clients N      client sessions issuing the operations at once, each one after another
                   (default ${DEFAULT_RUN_OPTIONS.clients}); more clients spread --ops over less virtual time
  --q N            ring partitions (default ${DEFAULT_RUN_OPTIONS.q})
  --faults LEVEL   none | light | heavy (default ${DEFAULT_RUN_OPTIONS.faults})
  --churn          with heavy faults, peers also join and leave
  --ring-checkpoints
                   peers agree on ring checkpoints (every second, 3 s old cuts) and drop the
                   records of members that left (with --churn)
  --rogue          an admitted cluster, plus a rogue peer that gossips unadmitted, forged,
                   borrowed and stretched admissions, floods pulls, and sends every request
                   type with forged versions (docs/trust.md, packages/sim/README.md)
  --cold-start     every peer joins through the seeds at start, as a new cluster forms;
                   past ${WARM_START_MIN_PEERS - 1} peers it otherwise starts warm, as a cluster that restarts:
                   every peer's disk already holds the member table (packages/sim/README.md)
  --converge S,…   instead of a workload: membership convergence in gossip rounds after a
                   join and a leave, at each cluster size S (e.g. 10,100,1000), vs 2·log2 S
  --client-sessions N
                   instead of a workload: N browser-tab-like client sessions (connect, write
                   and read a key through the client surface, go away) against --peers members
                   (default 20); reports what the members keep, after a warm-up and at the end
  --fsync-ms A,B   fsync latency range of every disk, virtual ms (default ${DEFAULT_FSYNC_MS.join(',')})
  --verbose        trace every operation and engine log line (stderr)
  --json           print the summary (and failures) as JSON
  --help           this text

Exit status: 0 when every invariant held on every seed, 1 otherwise, 2 on bad usage.`

function positiveInt (value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${value}`)
  return n
}

interface CliOptions {
  /** --converge: the cluster sizes to measure (no workload then). */
  readonly converge?: readonly number[]
  /** --client-sessions: sessions to run (no workload then). */
  readonly clientSessions?: number
  readonly run: RunOptions
  readonly seeds: number[]
  readonly verbose: boolean
  readonly json: boolean
}

function parse (argv: string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      peers: { type: 'string' },
      seeds: { type: 'string' },
      from: { type: 'string' },
      seed: { type: 'string' },
      ops: { type: 'string' },
      keys: { type: 'string' },
      clients: { type: 'string' },
      q: { type: 'string' },
      faults: { type: 'string' },
      churn: { type: 'boolean' },
      'ring-checkpoints': { type: 'boolean' },
      rogue: { type: 'boolean' },
      'cold-start': { type: 'boolean' },
      'fsync-ms': { type: 'string' },
      converge: { type: 'string' },
      'client-sessions': { type: 'string' },
      verbose: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' }
    },
    strict: true
  })
  if (values.help === true) return 'help'
  const faults = values.faults ?? DEFAULT_RUN_OPTIONS.faults
  if (!['none', 'light', 'heavy'].includes(faults)) throw new UsageError(`--faults must be none, light or heavy, got ${faults}`)
  const run: RunOptions = {
    ...DEFAULT_RUN_OPTIONS,
    peers: positiveInt(values.peers, 'peers', DEFAULT_RUN_OPTIONS.peers),
    ops: positiveInt(values.ops, 'ops', DEFAULT_RUN_OPTIONS.ops),
    keys: positiveInt(values.keys, 'keys', DEFAULT_RUN_OPTIONS.keys),
    clients: positiveInt(values.clients, 'clients', DEFAULT_RUN_OPTIONS.clients),
    q: positiveInt(values.q, 'q', DEFAULT_RUN_OPTIONS.q),
    faults: faults as FaultLevel,
    churn: values.churn === true,
    rogue: values.rogue === true,
    ...(values['ring-checkpoints'] === true ? { ringCheckpoints: true } : {}),
    ...(values['cold-start'] === true ? { coldStart: true } : {}),
    ...(values['fsync-ms'] === undefined ? {} : { fsyncMs: fsyncRange(values['fsync-ms']) })
  }
  const seeds = values.seed !== undefined
    ? [positiveInt(values.seed, 'seed', 0, 0)]
    : range(positiveInt(values.from, 'from', DEFAULT_FIRST_SEED, 0), positiveInt(values.seeds, 'seeds', DEFAULT_SEEDS))
  const converge = values.converge === undefined
    ? undefined
    : values.converge.split(',').map((s) => positiveInt(s, 'converge', 0, 2))
  const clientSessions = values['client-sessions'] === undefined ? undefined : positiveInt(values['client-sessions'], 'client-sessions', 0)
  return {
    run: values.peers === undefined && clientSessions !== undefined ? { ...run, peers: CLIENT_SESSION_MEMBERS } : run,
    seeds,
    verbose: values.verbose === true,
    json: values.json === true,
    ...(converge === undefined ? {} : { converge }),
    ...(clientSessions === undefined ? {} : { clientSessions })
  }
}

/** `A,B` with 0 ≤ A ≤ B (virtual ms, fractions allowed). */
function fsyncRange (value: string): readonly [number, number] {
  const parts = value.split(',').map((x) => Number(x))
  const [min, max] = parts as [number, number]
  if (parts.length !== 2 || !parts.every((x) => Number.isFinite(x) && x >= 0) || min > max) {
    throw new UsageError(`--fsync-ms must be A,B with 0 ≤ A ≤ B, got ${value}`)
  }
  return [min, max]
}

function range (from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i)
}

async function main (argv: string[]): Promise<number> {
  let options: CliOptions | 'help'
  try {
    options = parse(argv)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`)
    return 2
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`)
    return 0
  }
  if (options.converge !== undefined) return await convergeReport(options.converge, options.seeds[0] ?? DEFAULT_FIRST_SEED, options.json)
  if (options.clientSessions !== undefined) {
    const sessions = options.clientSessions
    const report = await runClientSessions({ members: options.run.peers, sessions, warmup: Math.min(CLIENT_SESSION_WARMUP, sessions), seed: options.seeds[0] ?? DEFAULT_FIRST_SEED, q: options.run.q })
    process.stdout.write(`${options.json ? JSON.stringify(report, null, 2) : formatClientSessions(report)}\n`)
    return 0
  }
  const { run, seeds, verbose, json } = options
  const trace = verbose ? (line: string): void => { process.stderr.write(`${line}\n`) } : undefined
  const results: RunResult[] = []
  const started = Date.now()
  // One seed of a long run: say where it is (wall and CPU seconds so far), on stderr.
  const progress = seeds.length === 1 && !json
    ? (line: string): void => { process.stderr.write(`… ${line} (${((Date.now() - started) / 1000).toFixed(1)} s, CPU ${(cpuSeconds()).toFixed(1)} s)\n`) }
    : undefined
  for (const [i, seed] of seeds.entries()) {
    const result = await runSeed(seed, { ...run, ...(trace === undefined ? {} : { trace }), ...(progress === undefined ? {} : { progress }) })
    results.push(result)
    if (result.violations.length > 0 && !json) process.stdout.write(`${formatFailure(result, run)}\n`)
    if ((i + 1) % PROGRESS_EVERY === 0 && i + 1 < seeds.length) {
      const failing = results.filter((r) => r.violations.length > 0).length
      process.stderr.write(`… ${i + 1}/${seeds.length} seeds, ${failing} failing, ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
    }
  }
  const summary = summarize(results, run)
  if (json) {
    const failures = results.filter((r) => r.violations.length > 0)
    process.stdout.write(`${JSON.stringify({ summary, failures }, null, 2)}\n`)
  } else {
    process.stdout.write(`${formatSummary(summary)}\n`)
  }
  return summary.failingSeeds.length === 0 ? 0 : 1
}

/** User + system CPU time of this process so far, s. */
function cpuSeconds (): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

/** --converge: the figures, and exit 1 when a change did not converge within the bound or missed the aim. */
async function convergeReport (sizes: readonly number[], seed: number, json: boolean): Promise<number> {
  const figures: ConvergenceFigure[] = []
  for (const peers of sizes) figures.push(...await measureConvergence(peers, seed))
  process.stdout.write(`${json ? JSON.stringify(figures, null, 2) : formatConvergence(figures)}\n`)
  return figures.every((f) => f.rounds !== undefined && f.rounds <= f.aim) ? 0 : 1
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (error: unknown) => {
  process.stderr.write(`simulator crashed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exitCode = 2
})
