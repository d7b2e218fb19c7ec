/**
 * W1's embedded writer: peer A and its writer in one child process of the benchmark, the
 * way the reference systems of bench/README.md were measured (the library called in A's
 * process). A is assembled exactly as the daemon assembles itself — the daemon package's
 * own `startDaemon` (FsStorage + Libp2pNetwork + Peer, plus its HTTP API, which the
 * benchmark only uses to read /status and /metrics) — and the writes go straight to
 * `Peer.put`: no HTTP client, no HTTP parsing.
 *
 * argv[2] = JSON EmbeddedConfig. Prints the daemon's ready line, then reads one JSON
 * command per stdin line and answers each with one JSON result line:
 * - `{"cmd":"burst","from","count","inFlight"}` → `{"event":"burst",...BurstReply}`
 * - `{"cmd":"open","from","count","rate"}` → `{"event":"open",...OpenReply}`
 * Stops the peer cleanly and exits when stdin closes or on SIGTERM.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { createLogger, parseStartArgs, startDaemon } from 'ringstore'
import type { LogLevel, RunningDaemon } from 'ringstore'
import { round3 } from './stats.js'
import type { LatencySummary } from './stats.js'
import { burst, cartValue, openLoop } from './write-loops.js'
import type { WriteFn } from './write-loops.js'

export interface EmbeddedConfig {
  readonly dataDir: string
  readonly p2pPort: number
  readonly httpPort: number
  /** The secret shared with daemon B (clusters are closed by default). */
  readonly clusterSecret: string
  readonly n: number
  readonly r: number
  readonly w: number
  readonly logLevel: string
}

export type EmbeddedCommand =
  | { readonly cmd: 'burst', readonly from: number, readonly count: number, readonly inFlight: number }
  | { readonly cmd: 'open', readonly from: number, readonly count: number, readonly rate: number }

export interface BurstReply {
  readonly event: 'burst'
  readonly startedAtEpochMs: number
  readonly ms: number
  readonly errors: number
  readonly ack: LatencySummary
}

export interface OpenReply {
  readonly event: 'open'
  readonly startedAtEpochMs: number
  readonly errors: number
  readonly ackLatency: LatencySummary
  readonly slowest: ReadonlyArray<{ readonly dueAtMs: number, readonly ms: number }>
  /** This process's worst event-loop delay meanwhile: A's engine and the writer share it. */
  readonly loopDelayMaxMs: number
}

/** `Peer.put` of key k{i} with the cart value; true once W replicas acknowledged. */
function peerWrite (daemon: RunningDaemon): WriteFn {
  return async (i) => {
    try {
      await daemon.peer.put(`k${i}`, cartValue(i, Date.now()))
      return true
    } catch {
      return false
    }
  }
}

async function runCommand (daemon: RunningDaemon, command: EmbeddedCommand): Promise<BurstReply | OpenReply> {
  const write = peerWrite(daemon)
  if (command.cmd === 'burst') {
    const t0 = performance.now()
    const { samples, errors } = await burst(write, command.from, command.count, command.inFlight)
    return { event: 'burst', startedAtEpochMs: Math.round(performance.timeOrigin + t0), ms: round3(performance.now() - t0), errors, ack: samples.summary() }
  }
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  const c = await openLoop(write, command.from, command.count, command.rate)
  loopDelay.disable()
  return { event: 'open', startedAtEpochMs: c.startedAtEpochMs, errors: c.errors, ackLatency: c.samples.summary(), slowest: c.slowest, loopDelayMaxMs: round3(loopDelay.max / 1e6) }
}

async function main (): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as EmbeddedConfig
  const options = parseStartArgs([
    '--data-dir', config.dataDir,
    '--cluster-secret', config.clusterSecret,
    '--listen', `/ip4/127.0.0.1/tcp/${config.p2pPort}`,
    '--http', `127.0.0.1:${config.httpPort}`,
    '--n', String(config.n), '--r', String(config.r), '--w', String(config.w),
    '--log-level', config.logLevel
  ])
  if (options === null) throw new Error('no options')
  const daemon = await startDaemon(options, createLogger(config.logLevel as LogLevel))
  let stopping: Promise<void> | undefined
  const stop = (): void => {
    stopping ??= daemon.stop().finally(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.stdout.write(`${JSON.stringify({ event: 'ready', peerId: daemon.peerId, addrs: daemon.addrs, http: daemon.http, tokenFile: daemon.tokenFile })}\n`)
  // Commands run one after the other, in the order they arrive.
  let queue = Promise.resolve()
  const input = createInterface({ input: process.stdin })
  input.on('line', (line) => {
    queue = queue.then(async () => {
      const reply = await runCommand(daemon, JSON.parse(line) as EmbeddedCommand)
      process.stdout.write(`${JSON.stringify(reply)}\n`)
    })
  })
  input.on('close', stop)
}

main().catch((err: unknown) => {
  process.stderr.write(`embedded peer failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
