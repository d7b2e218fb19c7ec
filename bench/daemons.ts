/**
 * Daemons under test, started through the `ringstore` CLI (the bin of packages/daemon) in
 * child processes with their own data dirs, fixed ports (a restart comes back where its
 * peers knew it), logs in files and one cluster secret per cluster (clusters are closed by
 * default: without a shared secret each daemon would form its own); and the little the
 * benchmark reads from /status.
 */
import { scrapeLoopDelay } from './loop-delay.js'
import type { LoopScrape } from './loop-delay.js'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { endpointOf, getJson, httpRequest, keepAliveAgent } from './http.js'
import type { Endpoint } from './http.js'
import { spawnChild, waitForJson } from './procs.js'
import type { Child } from './procs.js'

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Time a daemon may take from spawn to its ready line (tsx compiles on first start). */
const READY_TIMEOUT_MS = 60_000

export interface DaemonSpec {
  readonly name: string
  readonly dataDir: string
  readonly p2pPort: number
  readonly httpPort: number
  readonly bootstrap: readonly string[]
  /** The cluster's secret file (`clusterSecret`): the same for every daemon of one cluster. */
  readonly clusterSecret: string
  readonly n: number
  readonly r: number
  readonly w: number
  readonly logLevel: string
  readonly logFile: string
  /** More --listen addresses, e.g. a WebSockets one for browser tabs (`/ip4/127.0.0.1/tcp/P/ws`). */
  readonly extraListen?: readonly string[]
}

export interface Daemon {
  readonly spec: DaemonSpec
  readonly child: Child
  readonly peerId: string
  readonly addrs: readonly string[]
  /** The TCP address with /p2p/, for --bootstrap. */
  readonly addr: string
  readonly http: string
  /** The HTTP API's bearer token (read once from the ready line's tokenFile). */
  readonly token: string
  readonly endpoint: Endpoint
  /** performance.now() at spawn and when the ready line arrived. */
  readonly spawnedAt: number
  readonly readyAt: number
}

export interface ReadyLine { event: 'ready', peerId: string, addrs: string[], http: string, tokenFile: string }

function isReady (v: unknown): v is ReadyLine {
  const r = v as Partial<ReadyLine>
  return r.event === 'ready' && typeof r.peerId === 'string' && Array.isArray(r.addrs) && typeof r.http === 'string' && typeof r.tokenFile === 'string'
}

/** The token of a ready line's tokenFile: read once per daemon, never per request. */
export function tokenOf (ready: ReadyLine): string {
  return readFileSync(ready.tokenFile, 'utf8').trim()
}

/**
 * `node [--import tsx] <bin of packages/daemon>`: the CLI itself, without npx in between.
 * Extra node flags for the daemons (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see
 * where their time goes) come from BENCH_DAEMON_NODE_ARGS; extra `ringstore start` options
 * for every daemon (e.g. `--anti-entropy-interval-ms 0`) from BENCH_DAEMON_ARGS.
 */
export function daemonCommand (): { command: string, args: string[] } {
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const pkgDir = join(REPO_ROOT, 'packages', 'daemon')
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> }
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.ringstore
  if (bin === undefined) throw new Error('packages/daemon/package.json has no ringstore bin')
  const script = join(pkgDir, bin)
  return { command: process.execPath, args: [...nodeArgs, ...(script.endsWith('.ts') ? ['--conditions=@ringstore/source', '--import', 'tsx', script] : [script])] }
}

/** A new cluster secret at `<dir>/<name>.secret` (`ringstore secret`), for one bench cluster's daemons. */
export async function clusterSecret (dir: string, name: string): Promise<string> {
  const { command, args } = daemonCommand()
  const file = join(dir, `${name}.secret`)
  await promisify(execFile)(command, [...args, 'secret', file], { cwd: REPO_ROOT })
  return file
}

export async function startDaemon (spec: DaemonSpec): Promise<Daemon> {
  const { command, args } = daemonCommand()
  const argv = [
    ...args, 'start',
    '--data-dir', spec.dataDir,
    '--cluster-secret', spec.clusterSecret,
    '--listen', `/ip4/127.0.0.1/tcp/${spec.p2pPort}`,
    ...(spec.extraListen ?? []).flatMap((l) => ['--listen', l]),
    '--http', `127.0.0.1:${spec.httpPort}`,
    ...spec.bootstrap.flatMap((b) => ['--bootstrap', b]),
    '--n', String(spec.n), '--r', String(spec.r), '--w', String(spec.w),
    '--log-level', spec.logLevel,
    ...(process.env.BENCH_DAEMON_ARGS ?? '').split(' ').filter((a) => a !== '')
  ]
  const spawnedAt = performance.now()
  const child = spawnChild(spec.name, command, argv, { logFile: spec.logFile, cwd: REPO_ROOT })
  const ready = await waitForJson(child, isReady, READY_TIMEOUT_MS)
  const readyAt = performance.now()
  const addr = ready.addrs.find((a) => a.includes('/tcp/') && !a.includes('/ws')) ?? ready.addrs[0]
  if (addr === undefined) throw new Error(`${spec.name}: ready line has no address`)
  const token = tokenOf(ready)
  return { spec, child, peerId: ready.peerId, addrs: ready.addrs, addr, http: ready.http, token, endpoint: endpointOf(ready.http, token), spawnedAt, readyAt }
}

export interface DaemonStatus {
  readonly keys: number
  readonly hintsPending: number
  /** Members this daemon sees as active and reachable (itself included). */
  readonly upMembers: number
}

const control = keepAliveAgent(16)

export async function statusOf (d: Daemon): Promise<DaemonStatus> {
  const s = await getJson(control, d.endpoint, '/status') as {
    keys?: unknown, hintsPending?: unknown, members?: Array<{ status?: unknown, reachable?: unknown }>
  }
  const members = Array.isArray(s.members) ? s.members : []
  return {
    keys: typeof s.keys === 'number' ? s.keys : NaN,
    hintsPending: typeof s.hintsPending === 'number' ? s.hintsPending : NaN,
    upMembers: members.filter((m) => (m.status === undefined || m.status === 'active') && m.reachable !== false).length
  }
}

/**
 * The daemon's Prometheus counters and gauges (`name{labels}` → value), histogram buckets
 * left out: the request, RPC, hint and repair counts that explain a run's figures.
 */
export async function metricsOf (d: Daemon): Promise<Record<string, number>> {
  const reply = await httpRequest(control, d.endpoint, 'GET', '/metrics')
  if (reply.status !== 200) throw new Error(`GET /metrics: HTTP ${reply.status}`)
  const samples: Record<string, number> = {}
  for (const line of reply.body.toString('utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    const name = line.slice(0, space)
    if (name.includes('_bucket{') || name.endsWith('_bucket')) continue
    const value = Number(line.slice(space + 1))
    if (Number.isFinite(value)) samples[name] = value
  }
  return samples
}

/** The daemon's event-loop delay histogram and GC pause total now (loop-delay.ts), or null if it did not answer. */
export async function loopDelayOf (d: Daemon): Promise<LoopScrape | null> {
  return await scrapeLoopDelay(control, d.endpoint).catch(() => null)
}

/** Polls every `everyMs` until `check` holds; returns the elapsed ms, or throws after `timeoutMs`. */
export async function pollUntil (what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<number> {
  const started = performance.now()
  for (;;) {
    if (await check()) return performance.now() - started
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** Until every daemon sees `count` members up. */
export async function waitForMembers (daemons: readonly Daemon[], count: number, timeoutMs = 30_000): Promise<number> {
  return pollUntil(`${count} members up on every daemon`, async () => {
    const all = await Promise.all(daemons.map(statusOf))
    return all.every((s) => s.upMembers >= count)
  }, timeoutMs, 50)
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort (): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}
