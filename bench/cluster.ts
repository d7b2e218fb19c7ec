/**
 * Section `cluster`: three daemons (N=3, R=2, W=2) on loopback, the keys preloaded, then a
 * YCSB-A-like 50/50 read/update mix from a separate load-generator process, closed loop
 * (C clients spread over the daemons) and open loop (fixed arrival rate, latency from the
 * scheduled time). Also GET /status (the daemon's cheapest HTTP route) and a libp2p RPC
 * (members-pull) to a daemon, to show where the time of a request goes.
 */
import { join } from 'node:path'
import { runFloorClient, runLoadgen } from './children.js'
import { clusterSecret, freePort, metricsOf, startDaemon, statusOf, waitForMembers } from './daemons.js'
import type { Daemon, DaemonStatus } from './daemons.js'
import type { FloorClientResult } from './floor-node.js'
import type { PhaseResult } from './loadgen.js'
import type { BenchOptions } from './options.js'
import { memoryOf, stopChild } from './procs.js'
import type { MemoryMb } from './procs.js'

export const CLUSTER_QUORUM = { n: 3, r: 2, w: 2 } as const

export interface DaemonReport {
  readonly name: string
  readonly peerId: string
  readonly peakRssMb: number
  readonly memoryMb: MemoryMb
  readonly status: DaemonStatus
  /** Its /metrics counters and gauges at the end of the run (histogram buckets left out). */
  readonly metrics: Record<string, number> | { readonly error: string }
  readonly exit: number | string
}

export interface ClusterResult {
  readonly config: {
    readonly daemons: number, readonly n: number, readonly r: number, readonly w: number,
    readonly keys: number, readonly valueBytes: number, readonly readRatio: number,
    readonly concurrency: number, readonly rate: number, readonly openFraction: number, readonly lowRate: number, readonly durationS: number, readonly warmupS: number
  }
  /** From the first spawn until every daemon saw all three up. */
  readonly startupMs: number
  readonly preload: PhaseResult
  readonly statusSequential: PhaseResult
  readonly statusInflight: PhaseResult
  readonly closed: PhaseResult
  /** Open loop at the fixed --rate. */
  readonly open: PhaseResult
  /** Open loop at --open-fraction of the closed loop's throughput (when asked for). */
  readonly openRelative?: PhaseResult
  /** Open loop at --low-rate (the tail-latency phase: bench/README.md, "Tail latency against the floor"). */
  readonly openLow?: PhaseResult
  /** libp2p members-pull from a bench process to daemon 1 over one reused stream. */
  readonly rpcToDaemon: FloorClientResult | { readonly error: string }
  readonly daemons: DaemonReport[]
}

export async function runCluster (options: BenchOptions, dir: string, log: (msg: string) => void): Promise<ClusterResult> {
  const started = performance.now()
  const daemons: Daemon[] = []
  try {
    log('cluster: starting 3 daemons')
    const secret = await clusterSecret(dir, 'cluster')
    const spec = async (i: number, bootstrap: string[]): Promise<Daemon> => startDaemon({
      name: `cluster-d${i}`,
      dataDir: join(dir, `cluster-d${i}`),
      p2pPort: await freePort(),
      httpPort: await freePort(),
      bootstrap,
      clusterSecret: secret,
      ...CLUSTER_QUORUM,
      logLevel: options.logLevel,
      logFile: join(dir, `cluster-d${i}.log`)
    })
    const first = await spec(1, [])
    daemons.push(first)
    daemons.push(...await Promise.all([spec(2, [first.addr]), spec(3, [first.addr])]))
    await waitForMembers(daemons, 3)
    const startupMs = Math.round(performance.now() - started)
    log(`cluster: up in ${startupMs} ms; load generator: preload ${options.keys} keys, then status, closed loop, open loop`)
    const timing = { durationMs: options.durationS * 1000, warmupMs: options.warmupS * 1000 }
    const mix = { keys: options.keys, readRatio: options.readRatio }
    const c = options.concurrency
    const results = await runLoadgen({
      targets: daemons.map((d) => d.http),
      tokens: daemons.map((d) => d.token),
      valueBytes: options.valueBytes,
      maxSockets: Math.max(c, 256),
      pids: daemons.map((d) => d.child.pid),
      loopDelay: true,
      phases: [
        { kind: 'preload', name: 'preload', keys: options.keys, concurrency: c },
        { kind: 'http', name: 'status-seq', path: '/status', concurrency: 1, ...timing },
        { kind: 'http', name: `status-c${c}`, path: '/status', concurrency: c, ...timing },
        { kind: 'closed', name: `closed-c${c}`, concurrency: c, ...mix, ...timing },
        { kind: 'open', name: `open-${options.rate}`, rate: options.rate, ...mix, ...timing },
        ...(options.openFraction > 0
          ? [{ kind: 'open', name: `open-${options.openFraction}x-closed`, rate: { ofClosed: options.openFraction }, ...mix, ...timing } as const]
          : []),
        ...(options.lowRate > 0
          ? [{ kind: 'open', name: `open-low-${options.lowRate}`, rate: options.lowRate, ...mix, ...timing } as const]
          : [])
      ]
    })
    const [preload, statusSequential, statusInflight, closed, open] = results as [PhaseResult, PhaseResult, PhaseResult, PhaseResult, PhaseResult]
    const openRelative = results.find((r) => r.phase.startsWith('open-') && r.phase.endsWith('x-closed'))
    const openLow = results.find((r) => r.phase.startsWith('open-low-'))
    log('cluster: libp2p RPC (members-pull) to daemon 1 over one reused stream')
    const rpcToDaemon = await runFloorClient({ role: 'client', addr: first.addr, serverPid: first.child.pid, request: 'members-pull', concurrency: c, ...timing })
      .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }))
    const statuses = await Promise.all(daemons.map(statusOf))
    const metrics = await Promise.all(daemons.map(async (d) => metricsOf(d).catch((err: unknown) => ({ error: String(err) }))))
    const memory = daemons.map((d) => memoryOf(d.child))
    const peers = daemons.map((d) => d.peerId)
    const exits = await Promise.all(daemons.map(async (d) => stopChild(d.child)))
    daemons.length = 0
    return {
      config: { daemons: 3, ...CLUSTER_QUORUM, ...mix, valueBytes: options.valueBytes, concurrency: c, rate: options.rate, openFraction: options.openFraction, lowRate: options.lowRate, durationS: options.durationS, warmupS: options.warmupS },
      startupMs,
      preload,
      statusSequential,
      statusInflight,
      closed,
      open,
      ...(openRelative === undefined ? {} : { openRelative }),
      ...(openLow === undefined ? {} : { openLow }),
      rpcToDaemon,
      daemons: statuses.map((status, i) => ({
        name: `d${i + 1}`, peerId: peers[i] ?? '', peakRssMb: memory[i]?.peakMb ?? 0, memoryMb: memory[i] ?? { peakMb: 0, nowMb: 0, anonMb: 0, fileMb: 0 }, status, metrics: metrics[i] ?? { error: 'missing' }, exit: exits[i] ?? 'unknown'
      }))
    }
  } finally {
    await Promise.all(daemons.map(async (d) => stopChild(d.child)))
  }
}
