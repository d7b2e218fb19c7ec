/**
 * W1 with an embedded writer, measured like the reference rows of bench/README.md
 * (Gun, Automerge-repo, OrbitDB, Peerbit: the library called in A's own process). A is a
 * ringstore peer inside a bench child process (embedded-peer.ts: the daemon package's own
 * startDaemon, so the same FsStorage + Libp2pNetwork + Peer as a daemon) writing through
 * `Peer.put`; B is a normal daemon; N=2 W=2 as in the HTTP variant. The orchestrator only
 * sends the child its commands and polls B's /status, as it does for the HTTP variant.
 *
 * What differs from the HTTP row is only the writer's path: no HTTP client in a separate
 * process and no HTTP parsing in A. A's CPU per write therefore includes the writer.
 */
import { join } from 'node:path'
import { REPO_ROOT, clusterSecret, freePort, pollUntil, startDaemon, statusOf, tokenOf, waitForMembers } from './daemons.js'
import type { Daemon, DaemonSpec, ReadyLine } from './daemons.js'
import { cpuMsOf } from './cpu.js'
import type { BurstReply, EmbeddedCommand, EmbeddedConfig, OpenReply } from './embedded-peer.js'
import { endpointOf } from './http.js'
import type { BenchOptions } from './options.js'
import { memoryOf, spawnChild, stopChild, waitForJson } from './procs.js'
import type { Child, MemoryMb } from './procs.js'
import { CATCH_UP_TIMEOUT_MS, PAIR_QUORUM, W1_POLL_MS, backgroundOf, bHolds } from './replication-pair.js'
import { round3 } from './stats.js'
import type { LatencySummary } from './stats.js'

export const EMBEDDED_METHOD = 'A = a ringstore peer embedded in a bench child process (the daemon package\'s startDaemon: FsStorage + Libp2pNetwork + Peer), ' +
  'its writer = Peer.put in that same process; B = a ringstore daemon; N=2 W=2'

/** Spawn → ready: tsx compiles the peer's sources on first start. */
const READY_TIMEOUT_MS = 60_000
/** Longest a command may take (10k writes at a few hundred per second on a busy machine, with margin). */
const COMMAND_TIMEOUT_MS = 300_000

export interface W1EmbeddedResult {
  readonly method: string
  readonly w1a: {
    readonly writes: number, readonly inFlight: number, readonly ms: number, readonly opsPerSec: number, readonly errors: number, readonly ack: LatencySummary
    /** CPU ms per acked write of A's process (peer and writer together) and of B. */
    readonly cpuMsPerWrite: { readonly a: number, readonly b: number }
  }
  readonly w1b: { readonly ms: number, readonly opsPerSec: number, readonly method: string }
  readonly w1c: {
    readonly writes: number, readonly rate: number, readonly errors: number, readonly ackLatency: LatencySummary
    readonly bCountLagMs: number
    readonly slowest: ReadonlyArray<{ readonly dueAtMs: number, readonly ms: number }>
    readonly background: Record<string, number>
    /** Worst event-loop delay of A's process meanwhile (its peer and the writer share the loop). */
    readonly aLoopDelayMaxMs: number
    readonly startedAtEpochMs: number
    /** CPU ms per acked W1c write of A's process (peer and writer together) and of B. */
    readonly cpuMsPerWrite: { readonly a: number, readonly b: number }
  }
  readonly rssMb: { readonly a: number, readonly b: number }
  readonly memoryMb: { readonly a: MemoryMb, readonly b: MemoryMb }
}

const isReady = (v: unknown): v is ReadyLine => (v as Partial<ReadyLine>).event === 'ready'
const isBurst = (v: unknown): v is BurstReply => (v as Partial<BurstReply>).event === 'burst'
const isOpen = (v: unknown): v is OpenReply => (v as Partial<OpenReply>).event === 'open'

/** A in its child process, described as a Daemon so the /status and /metrics helpers apply. */
async function startEmbeddedA (dir: string, secret: string, logLevel: string): Promise<Daemon> {
  const spec: DaemonSpec = {
    name: 'embedded-a', dataDir: join(dir, 'embedded-a'), p2pPort: await freePort(), httpPort: await freePort(),
    bootstrap: [], clusterSecret: secret, ...PAIR_QUORUM, logLevel, logFile: join(dir, 'embedded-a.log')
  }
  const config: EmbeddedConfig = { dataDir: spec.dataDir, p2pPort: spec.p2pPort, httpPort: spec.httpPort, clusterSecret: secret, ...PAIR_QUORUM, logLevel }
  // The daemons' extra node flags (e.g. --cpu-prof) apply to the embedded peer too.
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const spawnedAt = performance.now()
  const child = spawnChild(spec.name, process.execPath, [...nodeArgs, '--conditions=@ringstore/source', '--import', 'tsx', join(REPO_ROOT, 'bench', 'embedded-peer.ts'), JSON.stringify(config)], { cwd: REPO_ROOT, logFile: spec.logFile })
  const ready = await waitForJson(child, isReady, READY_TIMEOUT_MS)
  const addr = ready.addrs.find((a) => a.includes('/tcp/') && !a.includes('/ws')) ?? ready.addrs[0]
  if (addr === undefined) throw new Error('embedded A: ready line has no address')
  const token = tokenOf(ready)
  return { spec, child, peerId: ready.peerId, addrs: ready.addrs, addr, http: ready.http, token, endpoint: endpointOf(ready.http, token), spawnedAt, readyAt: performance.now() }
}

async function command<T> (child: Child, cmd: EmbeddedCommand, accept: (v: unknown) => v is T): Promise<T> {
  const reply = waitForJson(child, accept, COMMAND_TIMEOUT_MS)
  child.proc.stdin?.write(`${JSON.stringify(cmd)}\n`)
  return await reply
}

async function measure (options: BenchOptions, a: Daemon, b: Daemon, log: (msg: string) => void): Promise<Omit<W1EmbeddedResult, 'rssMb' | 'memoryMb' | 'method'>> {
  const base = (await statusOf(b)).keys
  log(`w1 embedded: ${options.w1Keys} Peer.put in A's process, ${options.w1InFlight} in flight; polling B's /status keys`)
  const cpu0 = { a: cpuMsOf(a.child.pid), b: cpuMsOf(b.child.pid) }
  const bDone = bHolds(b, base + options.w1Keys, CATCH_UP_TIMEOUT_MS).then(() => performance.timeOrigin + performance.now())
  const burst = await command(a.child, { cmd: 'burst', from: 0, count: options.w1Keys, inFlight: options.w1InFlight }, isBurst)
  const cpu1 = { a: cpuMsOf(a.child.pid), b: cpuMsOf(b.child.pid) }
  const bMs = await bDone - burst.startedAtEpochMs
  const acked = options.w1Keys - burst.errors
  const perWrite = (used: number): number => round3(used / Math.max(1, acked))
  log(`w1c embedded: ${options.w1cKeys} new keys at ${options.w1cRate}/s through Peer.put`)
  const before = await backgroundOf(a, b)
  const cpuC0 = { a: cpuMsOf(a.child.pid), b: cpuMsOf(b.child.pid) }
  const open = await command(a.child, { cmd: 'open', from: options.w1Keys, count: options.w1cKeys, rate: options.w1cRate }, isOpen)
  const perC = (used: number): number => round3(used / Math.max(1, options.w1cKeys - open.errors))
  const cpuW1c = { a: perC(cpuMsOf(a.child.pid) - cpuC0.a), b: perC(cpuMsOf(b.child.pid) - cpuC0.b) }
  const after = await backgroundOf(a, b)
  const lag = await pollUntil('B to hold the W1c keys', async () => (await statusOf(b)).keys >= base + options.w1Keys + options.w1cKeys, CATCH_UP_TIMEOUT_MS, W1_POLL_MS)
  return {
    w1a: {
      writes: options.w1Keys, inFlight: options.w1InFlight, ms: burst.ms, opsPerSec: Math.round(acked / (burst.ms / 1000)), errors: burst.errors, ack: burst.ack,
      cpuMsPerWrite: { a: perWrite(cpu1.a - cpu0.a), b: perWrite(cpu1.b - cpu0.b) }
    },
    w1b: { ms: round3(bMs), opsPerSec: Math.round(options.w1Keys / (bMs / 1000)), method: `B's GET /status keys polled every ${W1_POLL_MS} ms, from A's first write` },
    w1c: {
      writes: options.w1cKeys, rate: options.w1cRate, errors: open.errors, ackLatency: open.ackLatency, bCountLagMs: round3(lag), slowest: open.slowest,
      background: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])),
      aLoopDelayMaxMs: open.loopDelayMaxMs, startedAtEpochMs: open.startedAtEpochMs, cpuMsPerWrite: cpuW1c
    }
  }
}

export async function runW1Embedded (options: BenchOptions, dir: string, log: (msg: string) => void): Promise<W1EmbeddedResult> {
  const live: Daemon[] = []
  try {
    log('w1 embedded: starting A (a peer in a bench process) and daemon B (N=2, W=2)')
    const secret = await clusterSecret(dir, 'embedded')
    const a = await startEmbeddedA(dir, secret, options.logLevel)
    live.push(a)
    const b = await startDaemon({
      name: 'embedded-b', dataDir: join(dir, 'embedded-b'), p2pPort: await freePort(), httpPort: await freePort(),
      bootstrap: [a.addr], clusterSecret: secret, ...PAIR_QUORUM, logLevel: options.logLevel, logFile: join(dir, 'embedded-b.log')
    })
    live.push(b)
    await waitForMembers([a, b], 2)
    const result = await measure(options, a, b, log)
    const memA = memoryOf(a.child)
    const memB = memoryOf(b.child)
    return { method: EMBEDDED_METHOD, ...result, rssMb: { a: memA.peakMb, b: memB.peakMb }, memoryMb: { a: memA, b: memB } }
  } finally {
    await Promise.all(live.map(async (d) => stopChild(d.child)))
  }
}
