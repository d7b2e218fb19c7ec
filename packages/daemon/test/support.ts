/**
 * Test fixtures: real `ringstore start` processes (spawned through the bin, exactly as a
 * user runs them) on loopback with random ports, HTTP helpers, and condition polling.
 * Every process spawned here is SIGKILLed by `killAll` (call it in afterAll), and each
 * fixture's data lives under one temporary folder removed afterwards. The daemons of one
 * fixture share one cluster secret (clusters are closed by default: without it each
 * daemon would form a cluster of its own).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createSecretFile } from '../src/cluster-secret.js'

export const BIN = fileURLToPath(new URL('../bin/ringstore.js', import.meta.url))
export const CONTEXT = 'x-ringstore-context'

export interface Ready {
  readonly event: 'ready'
  readonly peerId: string
  readonly addrs: string[]
  readonly http: string
  /** The cluster's id (its authority's public key). */
  readonly clusterId: string
  /** The secret file the daemon admitted itself with (absent with --admission). */
  readonly clusterSecret?: string
  /** The HTTP API's bearer token file. */
  readonly tokenFile: string
}

export interface Exit { readonly code: number | null, readonly signal: NodeJS.Signals | null }

export interface Daemon {
  readonly name: string
  readonly dataDir: string
  /** Arguments after `start` (without --data-dir): reused by restart. */
  readonly args: readonly string[]
  readonly process: ChildProcess
  readonly ready: Ready
  readonly http: string
  readonly peerId: string
  /** The TCP multiaddr with /p2p/ (for --bootstrap). */
  readonly tcp: string
  /** Every stdout line (the contract: exactly one, the ready line). */
  readonly stdout: string[]
  /** The last stderr lines, for failure messages. */
  readonly stderr: string[]
  readonly exited: Promise<Exit>
}

const STDERR_LINES_KEPT = 200
const READY_TIMEOUT_MS = 30_000

/** Debugging aid: RINGSTORE_TEST_LOGS=<existing dir> keeps every daemon's debug log there. */
const LOG_DIR = process.env.RINGSTORE_TEST_LOGS

/**
 * Options every test daemon gets: loopback, random ports, quiet logs, and a 3 s replica
 * timeout instead of 1 s. The suites share two cores with each other (and, in CI, with
 * the simulator suites): a first request between two daemons dials, handshakes and opens
 * its stream, which under that load can pass 1 s and turn into a spurious quorum failure.
 * Routing around a dead daemon does not depend on it (a killed process's connections drop
 * at once, and the peer is marked unreachable on the spot).
 */
export const TEST_DEFAULTS = [
  '--http', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws',
  '--log-level', LOG_DIR === undefined ? 'warn' : 'debug', '--request-timeout-ms', '3000'
]

export class Fixture {
  readonly #live = new Set<ChildProcess>()
  /** A promise, set on the first call: daemons started at once (Promise.all) share one folder. */
  #base: Promise<string> | undefined
  #secret: Promise<string> | undefined

  async dir (): Promise<string> {
    this.#base ??= mkdtemp(join(tmpdir(), 'ringstore-daemon-test-'))
    return await this.#base
  }

  /** The fixture's cluster secret file (created on first use, as `ringstore secret` does). */
  async secret (): Promise<string> {
    this.#secret ??= this.dir().then(async (dir) => await createSecretFile(join(dir, 'cluster.secret')))
    return await this.#secret
  }

  /**
   * Spawns `ringstore start --data-dir <base>/<name> ...TEST_DEFAULTS ...args` and waits for
   * its ready line. Unless `args` name a secret or a certificate themselves, the daemon gets
   * the fixture's secret; `{ sharedSecret: false }` starts it with neither (its data dir's
   * own default secret).
   */
  async start (name: string, args: readonly string[] = [], options: { sharedSecret?: boolean, launcher?: readonly string[] } = {}): Promise<Daemon> {
    const dataDir = join(await this.dir(), name)
    const ownTrust = args.includes('--cluster-secret') || args.includes('--admission') || options.sharedSecret === false
    const secret = ownTrust ? [] : ['--cluster-secret', await this.secret()]
    return await this.#spawn(name, dataDir, [...TEST_DEFAULTS, ...secret, ...args], options.launcher)
  }

  /** The same daemon again: same data dir, same arguments (new ports). */
  async restart (daemon: Daemon): Promise<Daemon> {
    return await this.#spawn(daemon.name, daemon.dataDir, daemon.args)
  }

  /** Sends `signal` and waits for the exit. */
  async kill (daemon: Daemon, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    daemon.process.kill(signal)
    return await daemon.exited
  }

  /**
   * Spawns the bin with arbitrary arguments (for CLI tests); tracked for killAll. With a
   * `launcher` (a command that ends by running the rest of its arguments, e.g. one that
   * sets up a namespace first), the bin runs under it, with stdin piped to the launcher.
   */
  spawnRaw (args: readonly string[], launcher?: readonly string[]): { process: ChildProcess, stdout: string[], stderr: string[], exited: Promise<Exit> } {
    const child = launcher === undefined
      ? spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(launcher[0] as string, [...launcher.slice(1), process.execPath, BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.#live.add(child)
    const stdout: string[] = []
    const stderr: string[] = []
    if (child.stdout !== null) createInterface({ input: child.stdout }).on('line', (line) => stdout.push(line))
    if (child.stderr !== null) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        stderr.push(line)
        if (stderr.length > STDERR_LINES_KEPT) stderr.shift()
      })
    }
    const exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#live.delete(child)
        // Let readline deliver the last lines before callers look at them.
        setImmediate(() => { resolve({ code, signal }) })
      })
    })
    return { process: child, stdout, stderr, exited }
  }

  async #spawn (name: string, dataDir: string, args: readonly string[], launcher?: readonly string[]): Promise<Daemon> {
    const raw = this.spawnRaw(['start', '--data-dir', dataDir, ...args], launcher)
    if (LOG_DIR !== undefined) raw.process.stderr?.pipe(createWriteStream(join(LOG_DIR, `${name}-${String(raw.process.pid)}.log`)))
    const ready = await waitForReady(raw.stdout, raw.exited, () => `${name}: ${raw.stderr.slice(-20).join('\n')}`)
    // Read as a client does (the file named by the ready line): http() sends it to this base URL.
    TOKENS.set(ready.http, (await readFile(ready.tokenFile, 'utf8')).trim())
    const tcp = ready.addrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))
    if (tcp === undefined) throw new Error(`${name} announced no TCP address: ${ready.addrs.join(' ')}`)
    return { name, dataDir, args, process: raw.process, ready, http: ready.http, peerId: ready.peerId, tcp, stdout: raw.stdout, stderr: raw.stderr, exited: raw.exited }
  }

  /** SIGKILL everything still running and remove the data. For afterAll. */
  async killAll (): Promise<void> {
    const exits = [...this.#live].map(async (child) => await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) { resolve(); return }
      child.once('exit', () => { resolve() })
      child.kill('SIGKILL')
    }))
    await Promise.all(exits)
    if (this.#base !== undefined) await rm(await this.#base, { recursive: true, force: true })
  }
}

async function waitForReady (stdout: string[], exited: Promise<Exit>, context: () => string): Promise<Ready> {
  let done = false
  const exitedEarly = exited.then((exit) => {
    if (!done) throw new Error(`daemon exited (${JSON.stringify(exit)}) before ready\n${context()}`)
    return undefined as never
  })
  try {
    return await Promise.race([
      poll('ready line', () => {
        const line = stdout[0]
        return line === undefined ? undefined : JSON.parse(line) as Ready
      }, READY_TIMEOUT_MS, 25),
      exitedEarly
    ])
  } finally {
    done = true
  }
}

/**
 * Polls `check` until it returns something other than undefined/false, or throws after
 * `timeoutMs` with the last error or value it saw.
 */
export async function poll<T> (what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const until = performance.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
      last = value
    } catch (error) {
      last = error
    }
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

// ---- HTTP ----

export interface Reply {
  readonly status: number
  readonly context: string | null
  readonly bytes: Uint8Array
  readonly headers: Headers
  /** Parsed JSON body when the reply is JSON (else undefined). */
  readonly json: Record<string, unknown> | undefined
  readonly text: string
}

/** Each daemon's bearer token, by the base URL of its ready line. */
const TOKENS = new Map<string, string>()

/** The bearer token of the daemon serving `base` (started through a Fixture). */
export function tokenOf (base: string): string {
  const token = TOKENS.get(base)
  if (token === undefined) throw new Error(`no token known for ${base}`)
  return token
}

/**
 * One request, with the daemon's bearer token unless `token` says otherwise (null: no
 * Authorization header; a string: that token instead).
 */
export async function http (base: string, method: string, path: string, init: { body?: Uint8Array | string, headers?: Record<string, string>, token?: string | null } = {}): Promise<Reply> {
  // Copied into a fresh ArrayBuffer-backed array: fetch's types refuse a view of a SharedArrayBuffer.
  const body = typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body)
  const token = init.token === undefined ? TOKENS.get(base) : init.token
  const headers = { ...(token == null ? {} : { Authorization: `Bearer ${token}` }), ...init.headers }
  const response = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { body }), headers })
  const bytes = new Uint8Array(await response.arrayBuffer())
  const text = new TextDecoder().decode(bytes)
  const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json')
  return { status: response.status, context: response.headers.get(CONTEXT), bytes, headers: response.headers, json: isJson ? JSON.parse(text) as Record<string, unknown> : undefined, text }
}

export function query (options: Record<string, number | undefined>): string {
  const parts = Object.entries(options).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`)
  return parts.length === 0 ? '' : `?${parts.join('&')}`
}

export async function put (d: Daemon, key: string, value: string | Uint8Array, options: { context?: string | null, n?: number, w?: number } = {}): Promise<Reply> {
  const headers: Record<string, string> = options.context == null ? {} : { [CONTEXT]: options.context }
  return await http(d.http, 'PUT', `/kv/${encodeURIComponent(key)}${query({ n: options.n, w: options.w })}`, { body: value, headers })
}

export async function get (d: Daemon, key: string, options: { n?: number, r?: number } = {}): Promise<Reply> {
  return await http(d.http, 'GET', `/kv/${encodeURIComponent(key)}${query(options)}`)
}

export async function del (d: Daemon, key: string, context: string, options: { n?: number, w?: number } = {}): Promise<Reply> {
  return await http(d.http, 'DELETE', `/kv/${encodeURIComponent(key)}${query(options)}`, { headers: { [CONTEXT]: context } })
}

export interface StatusBody {
  peerId: string
  clusterId: string
  addrs: string[]
  /** Peers with a live libp2p connection. */
  connected: number
  members: Array<{ peerId: string, status: string, weight: number, zone: string, reachable: boolean, joinedAt: number, incarnation: number }>
  ring: { q: number, members: Array<{ id: string, partitions: number }> }
  hintsPending: number
  keys: number
  storageFull: boolean
}

export async function status (d: Daemon): Promise<StatusBody> {
  return (await http(d.http, 'GET', '/status')).json as unknown as StatusBody
}

export interface ReplicaBody {
  key: string
  preferenceList: string[]
  replicates: boolean
  found: boolean
  siblings: Array<{ value: string | null, ts: number }>
}

export async function replica (d: Daemon, key: string): Promise<ReplicaBody> {
  return (await http(d.http, 'GET', `/replica/${encodeURIComponent(key)}`)).json as unknown as ReplicaBody
}

/** Live values of a local replica, decoded as UTF-8, sorted. */
export function replicaValues (r: ReplicaBody): string[] {
  return r.siblings.filter((s) => s.value !== null).map((s) => Buffer.from(s.value ?? '', 'base64').toString('utf8')).sort()
}

/** Parses Prometheus text into `name{labels}` → value. */
export async function metrics (d: Daemon): Promise<Map<string, number>> {
  const text = (await http(d.http, 'GET', '/metrics')).text
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    out.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return out
}

/** Waits until every daemon sees every other as an active, reachable member that owns partitions. */
export async function waitForCluster (daemons: readonly Daemon[], timeoutMs = 30_000): Promise<void> {
  const ids = daemons.map((d) => d.peerId)
  await poll(`cluster of ${daemons.length} to form`, async () => {
    for (const d of daemons) {
      const s = await status(d)
      for (const id of ids) {
        const member = s.members.find((m) => m.peerId === id)
        if (member?.status !== 'active' || !member.reachable) return false
        if ((s.ring.members.find((m) => m.id === id)?.partitions ?? 0) === 0) return false
      }
    }
    return true
  }, timeoutMs, 100)
}

/** Starts `count` daemons, the first as seed and the others bootstrapping from it, and waits for the cluster. */
export async function startCluster (fixture: Fixture, prefix: string, count: number, args: readonly string[] = []): Promise<Daemon[]> {
  const seed = await fixture.start(`${prefix}-1`, args)
  const others = await Promise.all(Array.from({ length: count - 1 }, async (_, i) => await fixture.start(`${prefix}-${i + 2}`, [...args, '--bootstrap', seed.tcp])))
  const all = [seed, ...others]
  await waitForCluster(all)
  return all
}
