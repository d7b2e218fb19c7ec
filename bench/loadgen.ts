/**
 * The load generator: a child process of the benchmark, so its HTTP client never shares
 * an event loop with a daemon. Runs the phases given as JSON in argv[2], one JSON result
 * line per phase on stdout, progress on stderr. Exits when its stdin closes (parent gone).
 *
 * Workload (YCSB-A-like): keys `k0..k{keys-1}` chosen uniformly; a read is GET /kv/{key};
 * an update is PUT /kv/{key} carrying the latest causal context this generator has seen
 * for the key (from any earlier reply), as a Dynamo client does — blind writes would pile
 * up siblings without bound.
 */
import type { Agent } from 'node:http'
import { cpuMsOf, ownCpuMs } from './cpu.js'
import { endpointOf, httpRequest, keepAliveAgent } from './http.js'
import type { Endpoint, HttpReply } from './http.js'
import { gcPauseMsBetween, loopDelayP99Between, scrapeLoopDelay } from './loop-delay.js'
import type { LoopScrape } from './loop-delay.js'
import { Samples, round3 } from './stats.js'
import type { LatencySummary } from './stats.js'

export type Phase =
  | { readonly kind: 'preload', readonly name: string, readonly keys: number, readonly concurrency: number }
  | { readonly kind: 'closed', readonly name: string, readonly keys: number, readonly concurrency: number, readonly durationMs: number, readonly warmupMs: number, readonly readRatio: number }
  | {
    readonly kind: 'open', readonly name: string, readonly keys: number, readonly durationMs: number, readonly warmupMs: number, readonly readRatio: number
    /** Arrivals per second, or this fraction of the last closed-loop phase's throughput. */
    readonly rate: number | { readonly ofClosed: number }
  }
  | { readonly kind: 'http', readonly name: string, readonly path: string, readonly concurrency: number, readonly durationMs: number, readonly warmupMs: number }

export interface LoadgenConfig {
  /** Base URLs (http://host:port) of the daemons (or HTTP servers); ops spread over them. */
  readonly targets: readonly string[]
  /** The bearer token of each target, in the same order (absent: plain HTTP servers). */
  readonly tokens?: readonly string[]
  readonly phases: readonly Phase[]
  /** Bytes per value written. */
  readonly valueBytes: number
  /** Sockets per target (≥ the phase concurrency; open loop may need more). */
  readonly maxSockets: number
  /** Processes whose CPU time per op each phase reports (the daemons, in target order). */
  readonly pids?: readonly number[]
  /** The targets are daemons: report each one's event-loop delay p99 per phase (loop-delay.ts). */
  readonly loopDelay?: boolean
}

export interface PhaseResult {
  readonly phase: string
  readonly kind: Phase['kind']
  readonly ops: number
  readonly seconds: number
  readonly opsPerSec: number
  /** Open loop only: the arrival rate offered. */
  readonly targetRate?: number
  /** Open loop only: arrivals not sent because the backlog passed its bound (counted in errors too). */
  readonly shed?: number
  readonly get: LatencySummary
  readonly put: LatencySummary
  /** Failed ops by reason (HTTP status or error name). */
  readonly errors: Record<string, number>
  /** GETs answered 300 (siblings). */
  readonly siblingReads: number
  /** CPU ms per op (warm-up included on both sides): each of `pids`, and this load generator. */
  readonly cpuMsPerOp: { readonly pids: number[], readonly loadgen: number }
  /** With `loopDelay`: each target daemon's event-loop delay p99 over the phase (warm-up included), ms. */
  readonly loopDelayP99Ms?: Array<number | null>
  /** With `loopDelay`: each target daemon's garbage-collection pauses over the phase, ms in all. */
  readonly gcPauseMs?: Array<number | null>
}

const PROGRESS_EVERY_MS = 1_000
/**
 * Open loop: arrivals beyond this many seconds' worth of outstanding requests are shed
 * (and counted) instead of queued, so an overloaded system cannot stretch a run without
 * bound; by then every latency is already seconds long and the verdict is clear.
 */
const OPEN_LOOP_BACKLOG_S = 2

class Recorder {
  readonly get = new Samples()
  readonly put = new Samples()
  readonly errors: Record<string, number> = {}
  siblingReads = 0
  ops = 0
  /** Successful ops, warm-up included (the denominator of CPU per op). */
  allOps = 0

  fail (reason: string, record: boolean): void {
    if (record) this.errors[reason] = (this.errors[reason] ?? 0) + 1
  }
}

class Workload {
  readonly #contexts = new Map<string, string>()
  readonly #agent: Agent
  readonly #targets: Endpoint[]
  readonly #value: Buffer

  constructor (agent: Agent, targets: Endpoint[], valueBytes: number) {
    this.#agent = agent
    this.#targets = targets
    this.#value = Buffer.alloc(valueBytes, 'v')
  }

  target (i: number): Endpoint {
    const t = this.#targets[i % this.#targets.length]
    if (t === undefined) throw new Error('no targets')
    return t
  }

  /**
   * One op; its latency counts from `since` (the scheduled time in open loop). `record`
   * is decided when the op is issued (false during warm-up).
   */
  async op (rec: Recorder, to: Endpoint, key: string, read: boolean, since: number, record: boolean): Promise<void> {
    let reply: HttpReply
    try {
      reply = read ? await this.#get(to, key) : await this.#put(to, key)
    } catch (err) {
      rec.fail(failureOf(err), record)
      return
    }
    const ms = performance.now() - since
    const ok = read ? reply.status === 200 || reply.status === 300 : reply.status === 204
    if (!ok) {
      rec.fail(`${read ? 'get' : 'put'} ${reply.status}`, record)
      return
    }
    rec.allOps++
    if (!record) return
    rec.ops++
    if (read) {
      rec.get.add(ms)
      if (reply.status === 300) rec.siblingReads++
    } else {
      rec.put.add(ms)
    }
  }

  async #get (to: Endpoint, key: string): Promise<HttpReply> {
    const reply = await httpRequest(this.#agent, to, 'GET', `/kv/${key}`)
    if (reply.status === 200) this.#remember(key, reply.headers['x-ringstore-context'])
    else if (reply.status === 300) this.#remember(key, siblingsContext(reply.body))
    return reply
  }

  async #put (to: Endpoint, key: string): Promise<HttpReply> {
    const context = this.#contexts.get(key)
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' }
    if (context !== undefined) headers['x-ringstore-context'] = context
    const reply = await httpRequest(this.#agent, to, 'PUT', `/kv/${key}`, this.#value, headers)
    if (reply.status === 204) this.#remember(key, reply.headers['x-ringstore-context'])
    return reply
  }

  #remember (key: string, context: string | string[] | undefined): void {
    if (typeof context === 'string' && context !== '') this.#contexts.set(key, context)
  }
}

/** A short reason for a failed request: the errno code (ECONNRESET…) or the message. */
function failureOf (err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (typeof code === 'string') return code
  return err instanceof Error ? err.message.slice(0, 80) : String(err).slice(0, 80)
}

function siblingsContext (body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { context?: unknown }
    return typeof parsed.context === 'string' ? parsed.context : undefined
  } catch {
    return undefined
  }
}

function randomKey (keys: number): string {
  return `k${Math.floor(Math.random() * keys)}`
}

async function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function progress (name: string, rec: Recorder, started: number, total?: number): () => void {
  const timer = setInterval(() => {
    const s = (performance.now() - started) / 1000
    const of = total === undefined ? '' : ` / ${total}`
    const errs = Object.values(rec.errors).reduce((a, b) => a + b, 0)
    process.stderr.write(`  [loadgen] ${name}: ${s.toFixed(1)} s, ${rec.ops}${of} ops, ${Math.round(rec.ops / s)} ops/s, ${errs} errors\n`)
  }, PROGRESS_EVERY_MS)
  return () => clearInterval(timer)
}

/** CPU counters at a phase's start; `result` turns them into ms per op. */
interface CpuMark { readonly pids: number[], readonly own: number }

let watchedPids: readonly number[] = []

function cpuMark (): CpuMark {
  return { pids: watchedPids.map(cpuMsOf), own: ownCpuMs() }
}

function result (phase: Phase, rec: Recorder, ms: number, cpu: CpuMark, open?: { rate: number, shed: number }): PhaseResult {
  const seconds = round3(ms / 1000)
  const perOp = (used: number): number => round3(used / Math.max(1, rec.allOps))
  return {
    phase: phase.name,
    kind: phase.kind,
    ops: rec.ops,
    seconds,
    opsPerSec: Math.round(rec.ops / (ms / 1000)),
    ...(open === undefined ? {} : { targetRate: open.rate, shed: open.shed }),
    get: rec.get.summary(),
    put: rec.put.summary(),
    errors: rec.errors,
    siblingReads: rec.siblingReads,
    cpuMsPerOp: { pids: watchedPids.map((pid, i) => perOp(cpuMsOf(pid) - (cpu.pids[i] ?? NaN))), loadgen: perOp(ownCpuMs() - cpu.own) }
  }
}

/** Every key written once, `concurrency` at a time, spread over the targets. */
async function preload (w: Workload, phase: Extract<Phase, { kind: 'preload' }>): Promise<PhaseResult> {
  const rec = new Recorder()
  const cpu = cpuMark()
  const started = performance.now()
  const stop = progress(phase.name, rec, started, phase.keys)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < phase.keys) {
      const i = next++
      await w.op(rec, w.target(i), `k${i}`, false, performance.now(), true)
    }
  }
  await Promise.all(Array.from({ length: phase.concurrency }, worker))
  stop()
  return result(phase, rec, performance.now() - started, cpu)
}

/**
 * `concurrency` clients, each calling `step` again as soon as its last call ended, until
 * the phase's warm-up and duration are over; `record` is false during the warm-up.
 */
async function clientLoops (
  phase: { readonly name: string, readonly warmupMs: number, readonly durationMs: number, readonly concurrency: number },
  rec: Recorder,
  step: (client: number, since: number, record: boolean) => Promise<void>
): Promise<void> {
  const t0 = performance.now()
  const measureFrom = t0 + phase.warmupMs
  const end = measureFrom + phase.durationMs
  const stop = progress(phase.name, rec, measureFrom)
  await Promise.all(Array.from({ length: phase.concurrency }, async (_, c) => {
    for (let since = t0; since < end; since = performance.now()) await step(c, since, since >= measureFrom)
  }))
  stop()
}

/** C clients, each issuing its next op when the last one answered. */
async function closed (w: Workload, phase: Extract<Phase, { kind: 'closed' }>): Promise<PhaseResult> {
  const rec = new Recorder()
  const cpu = cpuMark()
  await clientLoops(phase, rec, async (c, now, record) => {
    await w.op(rec, w.target(c), randomKey(phase.keys), Math.random() < phase.readRatio, now, record)
  })
  return result(phase, rec, phase.durationMs, cpu)
}

/**
 * Fixed arrival rate: op i is due at t0 + i/rate whatever happened before, and its latency
 * counts from that due time, so a stall shows as the latency of every op it delayed
 * (no coordinated omission).
 */
async function open (w: Workload, phase: Extract<Phase, { kind: 'open' }>, lastClosedOpsPerSec: number): Promise<PhaseResult> {
  const rec = new Recorder()
  const rate = typeof phase.rate === 'number' ? phase.rate : Math.max(1, Math.round(phase.rate.ofClosed * lastClosedOpsPerSec))
  const total = Math.round(rate * (phase.warmupMs + phase.durationMs) / 1000)
  const warmupOps = Math.round(rate * phase.warmupMs / 1000)
  const backlogBound = Math.max(100, rate * OPEN_LOOP_BACKLOG_S)
  process.stderr.write(`  [loadgen] ${phase.name}: offering ${rate} ops/s\n`)
  const cpu = cpuMark()
  const t0 = performance.now()
  const stop = progress(phase.name, rec, t0 + phase.warmupMs)
  const pending = new Set<Promise<void>>()
  let issued = 0
  let shed = 0
  while (issued < total) {
    const due = Math.min(total, Math.floor((performance.now() - t0) * rate / 1000) + 1)
    for (; issued < due; issued++) {
      const record = issued >= warmupOps
      if (pending.size >= backlogBound) {
        if (record) shed++
        rec.fail(`shed (over ${backlogBound} outstanding)`, record)
        continue
      }
      const scheduled = t0 + issued * 1000 / rate
      const op = w.op(rec, w.target(issued), randomKey(phase.keys), Math.random() < phase.readRatio, scheduled, record)
        .finally(() => pending.delete(op))
      pending.add(op)
    }
    await sleep(1)
  }
  await Promise.all(pending)
  stop()
  // Arrivals span durationMs; the tail of the last replies is not counted as time.
  return result(phase, rec, phase.durationMs, cpu, { rate, shed })
}

/** A plain GET of `path` (no-op route, /status) by `concurrency` clients. */
async function plain (agent: Agent, targets: Endpoint[], phase: Extract<Phase, { kind: 'http' }>): Promise<PhaseResult> {
  const rec = new Recorder()
  const cpu = cpuMark()
  await clientLoops(phase, rec, async (c, since, record) => {
    try {
      const reply = await httpRequest(agent, targets[c % targets.length] as Endpoint, 'GET', phase.path)
      if (reply.status >= 400) {
        rec.fail(`GET ${reply.status}`, record)
        return
      }
    } catch (err) {
      rec.fail(failureOf(err), record)
      return
    }
    rec.allOps++
    if (!record) return
    rec.ops++
    rec.get.add(performance.now() - since)
  })
  return result(phase, rec, phase.durationMs, cpu)
}

async function main (): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as LoadgenConfig
  process.stdin.on('end', () => process.exit(1))
  process.stdin.resume()
  watchedPids = config.pids ?? []
  const agent = keepAliveAgent(config.maxSockets)
  const targets = config.targets.map((url, i) => endpointOf(url, config.tokens?.[i]))
  // One workload for all phases: the contexts learned in preload serve the updates after.
  const w = new Workload(agent, targets, config.valueBytes)
  let lastClosedOpsPerSec = 0
  const loopDelay = async (): Promise<Array<LoopScrape | null>> =>
    await Promise.all(targets.map(async (t) => await scrapeLoopDelay(agent, t).catch(() => null)))
  for (const phase of config.phases) {
    const delayBefore = config.loopDelay === true ? await loopDelay() : []
    let r: PhaseResult
    if (phase.kind === 'http') r = await plain(agent, targets, phase)
    else if (phase.kind === 'preload') r = await preload(w, phase)
    else if (phase.kind === 'closed') {
      r = await closed(w, phase)
      lastClosedOpsPerSec = r.opsPerSec
    } else {
      r = await open(w, phase, lastClosedOpsPerSec)
    }
    if (config.loopDelay === true) {
      const delayAfter = await loopDelay()
      r = { ...r, loopDelayP99Ms: loopDelayP99Between(delayBefore, delayAfter), gcPauseMs: gcPauseMsBetween(delayBefore, delayAfter) }
    }
    process.stdout.write(`${JSON.stringify(r)}\n`)
  }
  agent.destroy()
  process.exit(0)
}

main().catch((err: unknown) => {
  process.stderr.write(`loadgen failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
