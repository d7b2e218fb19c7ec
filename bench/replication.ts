/**
 * Sections `w1` and `w2`: the two-peer replication workload of bench/README.md, with
 * daemons A and B at N=2, W=2 (an ack means durable on both). The writer is this process
 * (the daemons are children); B's holdings are read from B's own /status `keys` (the size
 * of B's local replica store, no coordinator in between).
 *
 * - W1a: `w1Keys` writes of a 262-byte cart JSON to A, `w1InFlight` at a time; ops/s until all acked.
 * - W1b: w1Keys / time from the first write until B's local key count shows them all.
 * - W1c: `w1cKeys` new keys at `w1cRate`/s (open loop). With W=2 the ack proves B has the
 *   version durably, so ack time − write time bounds "time B has it − write time" from above.
 * - W2: B stopped (SIGTERM); A writes `w2Keys` keys with w=1 (hints for B); B restarted on
 *   its data dir and ports; time from B's ready line until B holds them all and A has no
 *   hint pending.
 * - W1 again with an embedded writer (w1-embedded.ts): A a peer in a bench process writing
 *   through Peer.put, as the reference systems were measured; a fresh pair, after the above.
 */
import type { Agent } from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { join } from 'node:path'
import { cpuMsOf, ownCpuMs } from './cpu.js'
import { httpRequest, keepAliveAgent } from './http.js'
import { clusterSecret, freePort, loopDelayOf, pollUntil, startDaemon, statusOf, waitForMembers } from './daemons.js'
import { gcPauseMsBetween, loopDelayP99Between } from './loop-delay.js'
import type { Daemon } from './daemons.js'
import type { BenchOptions } from './options.js'
import { memoryOf, stopChild } from './procs.js'
import { CATCH_UP_TIMEOUT_MS, PAIR_QUORUM, W1_POLL_MS, backgroundOf, bHolds } from './replication-pair.js'
import type { MemoryMb } from './procs.js'
import { round3 } from './stats.js'
import type { LatencySummary } from './stats.js'
import { CART_BYTES, burst, cartValue, openLoop } from './write-loops.js'
import type { WriteFn } from './write-loops.js'
import { runW1Embedded } from './w1-embedded.js'
import type { W1EmbeddedResult } from './w1-embedded.js'

export { CART_BYTES, cartValue } from './write-loops.js'

/** B's /status poll during W2, which lasts ~100 ms: finer than W1_POLL_MS. */
const W2_POLL_MS = 5

export interface W1Result {
  readonly w1a: {
    readonly writes: number, readonly inFlight: number, readonly ms: number, readonly opsPerSec: number, readonly errors: number, readonly ack: LatencySummary
    /** CPU ms per acked write of A, of B and of the writer (this process, HTTP client + polling). */
    readonly cpuMsPerWrite: { readonly a: number, readonly b: number, readonly writer: number }
    /** A's and B's event-loop delay p99 over W1a, ms. */
    readonly loopDelayP99Ms: { readonly a: number | null, readonly b: number | null }
    /** A's and B's garbage-collection pauses over W1a, ms in all. */
    readonly gcPauseMs: { readonly a: number | null, readonly b: number | null }
  }
  readonly w1b: { readonly ms: number, readonly opsPerSec: number, readonly method: string }
  readonly w1c: {
    readonly writes: number, readonly rate: number, readonly errors: number,
    /** ack time − write time (scheduled), ms: an upper bound of "B has it − write time" at W=2. */
    readonly ackLatency: LatencySummary
    /** After the last W1c ack, until B's key count showed every W1c key. */
    readonly bCountLagMs: number
    /** The slowest writes: when each was due (ms after the first) and its latency — a stall shows as a run of them. */
    readonly slowest: ReadonlyArray<{ readonly dueAtMs: number, readonly ms: number }>
    /** Background work on A and B meanwhile (from /metrics): anti-entropy rounds and keys repaired. */
    readonly background: Record<string, number>
    /** The writer's own worst event-loop delay meanwhile: a stall here would be ours, not the daemons'. */
    readonly writerLoopDelayMaxMs: number
    /** A's and B's event-loop delay p99 over W1c, ms (bench/loop-delay.ts; null: not scraped). */
    readonly loopDelayP99Ms: { readonly a: number | null, readonly b: number | null }
    /** A's and B's garbage-collection pauses over W1c, ms in all. */
    readonly gcPauseMs: { readonly a: number | null, readonly b: number | null }
    /** Wall-clock time (ms since the epoch) of the first write: `slowest[].dueAtMs` counts from it, to match daemon logs. */
    readonly startedAtEpochMs: number
    /**
     * CPU ms per acked write of A, of B and of the writer over W1c: one write at a time
     * pays alone what W1a's 64 in flight share (a syscall, a noise message, an LMDB commit).
     */
    readonly cpuMsPerWrite: { readonly a: number, readonly b: number, readonly writer: number }
  }
}

export interface W2Result {
  readonly writes: number
  readonly writeErrors: number
  readonly writeMs: number
  /** A's pending hints once the writes were acked (expected: one per key, for B). */
  readonly hintsPendingOnA: number
  readonly bStopExit: number | string
  /** B's restart: spawn → ready line. */
  readonly restartToReadyMs: number
  /** The W2 figure: B's ready line → B holds every key and A has no hint pending. */
  readonly catchUpMs: number | null
  /** The same, split: until B's key count was complete; until A's hintsPending was 0. */
  readonly bKeysCompleteMs: number | null
  readonly aHintsZeroMs: number | null
  readonly timedOut: boolean
}

export interface ReplicationResult {
  readonly config: {
    readonly n: number, readonly w: number, readonly valueBytes: number,
    readonly w1Keys: number, readonly w1InFlight: number, readonly w1cKeys: number, readonly w1cRate: number, readonly w2Keys: number
  }
  readonly w1?: W1Result
  /** W1 again with A a peer embedded in a bench process writing through Peer.put (w1-embedded.ts). */
  readonly w1Embedded?: W1EmbeddedResult
  readonly w2?: W2Result
  /** Peak RSS (VmHWM) in MB: A over the whole run; B before its stop and after its restart. */
  readonly rssMb: { readonly a: number, readonly b: number, readonly bAfterRestart?: number }
  /** The same moments in detail: peak, now, anonymous and file-backed resident MB. */
  readonly memoryMb: { readonly a: MemoryMb, readonly b: MemoryMb, readonly bAfterRestart?: MemoryMb }
}

interface Writer { readonly agent: Agent, readonly to: Daemon }

async function put (w: Writer, key: string, value: Buffer, query = ''): Promise<boolean> {
  try {
    const reply = await httpRequest(w.agent, w.to.endpoint, 'PUT', `/kv/${key}${query}`, value, { 'content-type': 'application/json' })
    return reply.status === 204
  } catch {
    return false
  }
}

/** W1/W2 writes over HTTP: `PUT /kv/k{i}` to the writer's daemon. */
function httpWrite (w: Writer, query = ''): WriteFn {
  return async (i) => await put(w, `k${i}`, cartValue(i, Date.now()), query)
}

async function runW1 (options: BenchOptions, w: Writer, b: Daemon, log: (msg: string) => void): Promise<W1Result> {
  const base = (await statusOf(b)).keys
  const a = w.to
  const cpu0 = { a: cpuMsOf(a.child.pid), b: cpuMsOf(b.child.pid), writer: ownCpuMs() }
  log(`w1a/w1b: ${options.w1Keys} writes to A, ${options.w1InFlight} in flight; polling B's /status keys`)
  const delayW1a = await Promise.all([a, b].map(loopDelayOf))
  const t0 = performance.now()
  const bDone = bHolds(b, base + options.w1Keys, CATCH_UP_TIMEOUT_MS).then(() => performance.now() - t0)
  const { samples, errors } = await burst(httpWrite(w), 0, options.w1Keys, options.w1InFlight)
  const ackMs = performance.now() - t0
  const bMs = await bDone
  const acked = options.w1Keys - errors
  const perWrite = (used: number): number => round3(used / Math.max(1, acked))
  const cpuMsPerWrite = { a: perWrite(cpuMsOf(a.child.pid) - cpu0.a), b: perWrite(cpuMsOf(b.child.pid) - cpu0.b), writer: perWrite(ownCpuMs() - cpu0.writer) }
  const delayW1aEnd = await Promise.all([a, b].map(loopDelayOf))
  const [w1aA = null, w1aB = null] = loopDelayP99Between(delayW1a, delayW1aEnd)
  const [gcW1aA = null, gcW1aB = null] = gcPauseMsBetween(delayW1a, delayW1aEnd)
  log(`w1c: ${options.w1cKeys} new keys at ${options.w1cRate}/s`)
  const before = await backgroundOf(a, b)
  const delayW1c = await Promise.all([a, b].map(loopDelayOf))
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  const cpuC0 = { a: cpuMsOf(a.child.pid), b: cpuMsOf(b.child.pid), writer: ownCpuMs() }
  const c = await openLoop(httpWrite(w), options.w1Keys, options.w1cKeys, options.w1cRate)
  const perC = (used: number): number => round3(used / Math.max(1, options.w1cKeys - c.errors))
  const cpuW1c = { a: perC(cpuMsOf(a.child.pid) - cpuC0.a), b: perC(cpuMsOf(b.child.pid) - cpuC0.b), writer: perC(ownCpuMs() - cpuC0.writer) }
  loopDelay.disable()
  const delayW1cEnd = await Promise.all([a, b].map(loopDelayOf))
  const [w1cA = null, w1cB = null] = loopDelayP99Between(delayW1c, delayW1cEnd)
  const [gcW1cA = null, gcW1cB = null] = gcPauseMsBetween(delayW1c, delayW1cEnd)
  const after = await backgroundOf(a, b)
  const background = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]))
  const lag = await bHolds(b, base + options.w1Keys + options.w1cKeys, CATCH_UP_TIMEOUT_MS)
  return {
    w1a: { writes: options.w1Keys, inFlight: options.w1InFlight, ms: round3(ackMs), opsPerSec: Math.round(acked / (ackMs / 1000)), errors, ack: samples.summary(), cpuMsPerWrite, loopDelayP99Ms: { a: w1aA, b: w1aB }, gcPauseMs: { a: gcW1aA, b: gcW1aB } },
    w1b: { ms: round3(bMs), opsPerSec: Math.round(options.w1Keys / (bMs / 1000)), method: `B's GET /status keys polled every ${W1_POLL_MS} ms` },
    w1c: { writes: options.w1cKeys, rate: options.w1cRate, errors: c.errors, ackLatency: c.samples.summary(), bCountLagMs: round3(lag), slowest: c.slowest, background, writerLoopDelayMaxMs: round3(loopDelay.max / 1e6), loopDelayP99Ms: { a: w1cA, b: w1cB }, gcPauseMs: { a: gcW1cA, b: gcW1cB }, startedAtEpochMs: c.startedAtEpochMs, cpuMsPerWrite: cpuW1c }
  }
}

async function runW2 (options: BenchOptions, w: Writer, pair: { a: Daemon, b: Daemon }, from: number, log: (msg: string) => void): Promise<{ result: W2Result, b: Daemon }> {
  const expected = (await statusOf(pair.b)).keys + options.w2Keys
  log('w2: stopping B (SIGTERM)')
  const bStopExit = await stopChild(pair.b.child)
  log(`w2: A writes ${options.w2Keys} keys with w=1 while B is down`)
  const t0 = performance.now()
  const { errors } = await burst(httpWrite(w, '?w=1'), from, options.w2Keys, options.w1InFlight)
  const writeMs = performance.now() - t0
  const hintsPendingOnA = (await statusOf(pair.a)).hintsPending
  log(`w2: ${hintsPendingOnA} hints pending on A; restarting B`)
  const b = await startDaemon(pair.b.spec)
  let bKeysCompleteMs: number | null = null
  let aHintsZeroMs: number | null = null
  let catchUpMs: number | null = null
  try {
    await pollUntil('B to catch up', async () => {
      const [sa, sb] = await Promise.all([statusOf(pair.a), statusOf(b)])
      const now = performance.now() - b.readyAt
      if (bKeysCompleteMs === null && sb.keys >= expected) bKeysCompleteMs = round3(now)
      if (aHintsZeroMs === null && sa.hintsPending === 0) aHintsZeroMs = round3(now)
      return bKeysCompleteMs !== null && aHintsZeroMs !== null
    }, CATCH_UP_TIMEOUT_MS, W2_POLL_MS)
    catchUpMs = round3(Math.max(bKeysCompleteMs ?? 0, aHintsZeroMs ?? 0))
  } catch (err) {
    log(`w2: ${err instanceof Error ? err.message : String(err)}`)
  }
  return {
    b,
    result: {
      writes: options.w2Keys,
      writeErrors: errors,
      writeMs: round3(writeMs),
      hintsPendingOnA,
      bStopExit,
      restartToReadyMs: round3(b.readyAt - b.spawnedAt),
      catchUpMs,
      bKeysCompleteMs,
      aHintsZeroMs,
      timedOut: catchUpMs === null
    }
  }
}

/** W1 and W2 over HTTP on daemons A and B; then, for W1, the embedded-writer variant on a fresh pair. */
export async function runReplication (options: BenchOptions, dir: string, log: (msg: string) => void): Promise<ReplicationResult> {
  const overHttp = await runHttpPair(options, dir, log)
  if (!options.sections.has('w1')) return overHttp
  return { ...overHttp, w1Embedded: await runW1Embedded(options, dir, log) }
}

async function runHttpPair (options: BenchOptions, dir: string, log: (msg: string) => void): Promise<ReplicationResult> {
  const live: Daemon[] = []
  const agent = keepAliveAgent(Math.max(options.w1InFlight, 64))
  try {
    log('replication: starting daemons A and B (N=2, W=2)')
    const secret = await clusterSecret(dir, 'pair')
    const spec = async (name: string, bootstrap: string[]): Promise<Daemon> => startDaemon({
      name,
      dataDir: join(dir, name),
      p2pPort: await freePort(),
      httpPort: await freePort(),
      bootstrap,
      clusterSecret: secret,
      ...PAIR_QUORUM,
      logLevel: options.logLevel,
      logFile: join(dir, `${name}.log`)
    })
    const a = await spec('pair-a', [])
    live.push(a)
    let b = await spec('pair-b', [a.addr])
    live.push(b)
    await waitForMembers([a, b], 2)
    const writer: Writer = { agent, to: a }
    const w1 = options.sections.has('w1') ? await runW1(options, writer, b, log) : undefined
    const memB = memoryOf(b.child)
    let w2: W2Result | undefined
    let memBAfter: MemoryMb | undefined
    if (options.sections.has('w2')) {
      const from = options.w1Keys + options.w1cKeys
      const run = await runW2(options, writer, { a, b }, from, log)
      live.push(b = run.b)
      w2 = run.result
      memBAfter = memoryOf(b.child)
    }
    const memA = memoryOf(a.child)
    return {
      config: {
        n: PAIR_QUORUM.n, w: PAIR_QUORUM.w, valueBytes: CART_BYTES,
        w1Keys: options.w1Keys, w1InFlight: options.w1InFlight, w1cKeys: options.w1cKeys, w1cRate: options.w1cRate, w2Keys: options.w2Keys
      },
      ...(w1 === undefined ? {} : { w1 }),
      ...(w2 === undefined ? {} : { w2 }),
      rssMb: { a: memA.peakMb, b: memB.peakMb, ...(memBAfter === undefined ? {} : { bAfterRestart: memBAfter.peakMb }) },
      memoryMb: { a: memA, b: memB, ...(memBAfter === undefined ? {} : { bAfterRestart: memBAfter }) }
    }
  } finally {
    agent.destroy()
    await Promise.all(live.map(async (d) => stopChild(d.child)))
  }
}
