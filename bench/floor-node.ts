/**
 * The floor: what libp2p and HTTP cost with nothing stored. A child process of the
 * benchmark in one of two roles (argv[2] = JSON):
 *
 * - `echo`: a libp2p node (the daemon's own stack: createNodeLibp2p, TCP + noise + yamux)
 *   whose Libp2pNetwork answers every `replica-get` the way a replica would, with a
 *   version carrying a `valueBytes` value — nothing stored, nothing read; plus a node:http
 *   server with a no-op route (`GET /noop` → 204). Prints `{"event":"ready",addr,http}`.
 * - `client`: a second libp2p node that dials `addr` and sends requests over the one
 *   long-lived RPC stream Libp2pNetwork keeps per peer: first one at a time, then
 *   `concurrency` in flight. Prints one JSON result line.
 *
 * Either role exits when its stdin closes (the benchmark is gone).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Libp2pNetwork, createNodeLibp2p } from '@ringstore/net-libp2p/node'
import type { PeerId, Request, Response } from '@ringstore/core'
import type { NetworkHandlers } from '@ringstore/peer'
import { cpuMsOf, ownCpuMs } from './cpu.js'
import { Samples, round3 } from './stats.js'
import type { LatencySummary } from './stats.js'

export type FloorRole =
  | { readonly role: 'echo', readonly valueBytes: number }
  | {
    readonly role: 'client', readonly addr: string, readonly request: 'replica-get' | 'members-pull'
    readonly durationMs: number, readonly warmupMs: number, readonly concurrency: number
    /** The answering process, whose CPU per request is reported. */
    readonly serverPid: number
    /** Then an open loop: `count` requests due at `rate` per second, latency from each one's due time (W1c's floor). */
    readonly open?: { readonly rate: number, readonly count: number }
  }

export interface FloorRun {
  readonly concurrency: number
  readonly ops: number
  readonly opsPerSec: number
  readonly latency: LatencySummary
  readonly errors: number
  /** CPU ms per request (warm-up included) of the client and of the answering process. */
  readonly cpuMsPerOp: { readonly client: number, readonly server: number }
}

export interface FloorClientResult {
  readonly sequential: FloorRun
  readonly inflight: FloorRun
  /** With `open`: the open loop, `concurrency` 0 and `opsPerSec` the rate offered. */
  readonly open?: FloorRun
}

const REQUEST_TIMEOUT_MS = 5_000

function handlers (serve: NetworkHandlers['onRequest']): NetworkHandlers {
  return { onRequest: serve, onAnnounce () {}, onPeerConnected () {}, onPeerDisconnected () {} }
}

async function startNetwork (serve: NetworkHandlers['onRequest']): Promise<Libp2pNetwork> {
  const node = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'] })
  const network = new Libp2pNetwork(node, { cluster: 'bench-floor' })
  await network.start(handlers(serve))
  return network
}

async function echo (valueBytes: number): Promise<void> {
  const value = new Uint8Array(valueBytes).fill(118)
  const reply: Response = {
    type: 'clock',
    clock: { entries: [{ actor: 'bench', counter: 1, values: [{ value, ts: 0 }], ts: 0 }], anonymous: [] }
  }
  const network = await startNetwork(async (_from: PeerId, request: Request) =>
    request.type === 'replica-get' ? reply : { type: 'ok' })
  const addr = network.node.getMultiaddrs().map(String).find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/noop' ? 204 : 404
    res.end()
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  process.stdout.write(`${JSON.stringify({ event: 'ready', addr, http: `http://127.0.0.1:${port}` })}\n`)
}

async function client (role: Extract<FloorRole, { role: 'client' }>): Promise<void> {
  const network = await startNetwork(async () => ({ type: 'error', code: 'unavailable', message: 'bench client' }))
  const peer = await network.dial(role.addr)
  let n = 0
  const request = (): Request => role.request === 'members-pull' ? { type: 'members-pull' } : { type: 'replica-get', key: `k${n++ % 10_000}` }
  const sequential = await run(network, peer, request, 1, role)
  const inflight = await run(network, peer, request, role.concurrency, role)
  const open = role.open === undefined ? undefined : await openLoop(network, peer, request, role.open, role.serverPid)
  const result: FloorClientResult = { sequential, inflight, ...(open === undefined ? {} : { open }) }
  process.stdout.write(`${JSON.stringify(result)}\n`)
  await network.stop()
  process.exit(0)
}

/** `concurrency` loops each sending its next request when the last one answered. */
async function run (
  network: Libp2pNetwork, peer: PeerId, request: () => Request, concurrency: number,
  timing: { readonly durationMs: number, readonly warmupMs: number, readonly serverPid: number }
): Promise<FloorRun> {
  const samples = new Samples()
  let errors = 0
  let all = 0
  const cpuBefore = { client: ownCpuMs(), server: cpuMsOf(timing.serverPid) }
  const t0 = performance.now()
  const measureFrom = t0 + timing.warmupMs
  const end = measureFrom + timing.durationMs
  const loop = async (): Promise<void> => {
    for (let since = t0; since < end; since = performance.now()) {
      try {
        await network.request(peer, request(), REQUEST_TIMEOUT_MS)
      } catch {
        if (since >= measureFrom) errors++
        continue
      }
      all++
      if (since >= measureFrom) samples.add(performance.now() - since)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  return {
    concurrency,
    ops: samples.length,
    opsPerSec: Math.round(samples.length / (timing.durationMs / 1000)),
    latency: samples.summary(),
    errors,
    cpuMsPerOp: {
      client: round3((ownCpuMs() - cpuBefore.client) / Math.max(1, all)),
      server: round3((cpuMsOf(timing.serverPid) - cpuBefore.server) / Math.max(1, all))
    }
  }
}

/**
 * `count` requests, request i due at t0 + i/rate whatever happened before; latency counts
 * from the due time (no coordinated omission), as W1c's does.
 */
async function openLoop (
  network: Libp2pNetwork, peer: PeerId, request: () => Request, open: { readonly rate: number, readonly count: number }, serverPid: number
): Promise<FloorRun> {
  const samples = new Samples()
  let errors = 0
  const cpuBefore = { client: ownCpuMs(), server: cpuMsOf(serverPid) }
  const t0 = performance.now()
  const pending: Array<Promise<void>> = []
  for (let i = 0; i < open.count; i++) {
    const due = t0 + i * 1000 / open.rate
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(network.request(peer, request(), REQUEST_TIMEOUT_MS).then(
      () => { samples.add(performance.now() - due) },
      () => { errors++ }
    ))
  }
  await Promise.all(pending)
  return {
    concurrency: 0,
    ops: samples.length,
    opsPerSec: open.rate,
    latency: samples.summary(),
    errors,
    cpuMsPerOp: {
      client: round3((ownCpuMs() - cpuBefore.client) / Math.max(1, open.count)),
      server: round3((cpuMsOf(serverPid) - cpuBefore.server) / Math.max(1, open.count))
    }
  }
}

async function main (): Promise<void> {
  const role = JSON.parse(process.argv[2] ?? '') as FloorRole
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
  if (role.role === 'echo') await echo(role.valueBytes)
  else await client(role)
}

main().catch((err: unknown) => {
  process.stderr.write(`floor ${process.argv[2] ?? ''} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
