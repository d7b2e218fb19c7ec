/**
 * Section `floor`: the cost of the transports alone, nothing stored. Two processes (an echo
 * node and a client) talk libp2p over Libp2pNetwork's one reused RPC stream, one request
 * at a time and C in flight; then the load generator times a node:http no-op round trip
 * to the echo process, so the tables show what HTTP itself adds in front of the store.
 */
import { runFloorClient, runLoadgen, startFloorEcho } from './children.js'
import type { FloorClientResult } from './floor-node.js'
import type { PhaseResult } from './loadgen.js'
import type { BenchOptions } from './options.js'
import { peakRssMb, stopChild } from './procs.js'

export interface FloorResult {
  /** Reply size of the libp2p echo (a replica-get answer carrying one value of this size). */
  readonly replyValueBytes: number
  readonly libp2p: FloorClientResult
  readonly httpNoop: { readonly sequential: PhaseResult, readonly inflight: PhaseResult }
  /** Peak RSS of the echo process: node + tsx + libp2p (the daemon's stack) with no engine or store. */
  readonly echoPeakRssMb: number
}

export async function runFloor (options: BenchOptions, log: (msg: string) => void): Promise<FloorResult> {
  log('floor: starting the libp2p echo process')
  const echo = await startFloorEcho(options.valueBytes)
  try {
    const timing = { durationMs: options.durationS * 1000, warmupMs: options.warmupS * 1000 }
    log(`floor: libp2p request/response, sequential then ${options.concurrency} in flight (${options.durationS} s each), then ${options.w1cKeys} at ${options.w1cRate}/s (W1c's floor)`)
    const libp2p = await runFloorClient({ role: 'client', addr: echo.addr, serverPid: echo.child.pid, request: 'replica-get', concurrency: options.concurrency, ...timing, open: { rate: options.w1cRate, count: options.w1cKeys } })
    log('floor: HTTP no-op round trip (node:http, keep-alive)')
    const [sequential, inflight] = await runLoadgen({
      targets: [echo.http],
      valueBytes: 0,
      maxSockets: options.concurrency,
      pids: [echo.child.pid],
      phases: [
        { kind: 'http', name: 'http-noop-seq', path: '/noop', concurrency: 1, ...timing },
        { kind: 'http', name: `http-noop-c${options.concurrency}`, path: '/noop', concurrency: options.concurrency, ...timing }
      ]
    })
    if (sequential === undefined || inflight === undefined) throw new Error('loadgen returned too few results')
    return { replyValueBytes: options.valueBytes, libp2p, httpNoop: { sequential, inflight }, echoPeakRssMb: peakRssMb(echo.child) }
  } finally {
    await stopChild(echo.child)
  }
}
