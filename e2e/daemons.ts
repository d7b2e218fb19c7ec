/**
 * Real ringstore daemons for the end-to-end tests: `ringstore start` through the package's
 * own bin on loopback, random ports, a temporary data dir each, and one cluster secret per
 * set (`ringstore secret`; clusters are closed by default, so without it each daemon would
 * form a cluster of its own). Every process started here is tracked and SIGKILLed by
 * `stopAll` (tests and the global teardown call it), so a failing test leaves no orphan behind.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const BIN = fileURLToPath(new URL('../packages/daemon/bin/ringstore.js', import.meta.url))
/** A daemon starts in ~2 s here; 30 s covers a loaded 2-core CI machine. */
const READY_TIMEOUT_MS = 30_000
/** A clean SIGTERM shutdown gets this long before SIGKILL. */
const STOP_TIMEOUT_MS = 10_000
/** The cluster the tests run: N=3 R=2 W=2, so every key lives on all 3 daemons. */
export const CLUSTER_ARGS = ['--n', '3', '--r', '2', '--w', '2']

export interface DaemonInfo {
  readonly name: string
  readonly peerId: string
  readonly http: string
  readonly tcp: string
  readonly ws: string
  readonly dataDir: string
  /** The cluster's id, from the ready line. */
  readonly clusterId: string
  /** The HTTP API's bearer token, read once from the ready line's tokenFile (for daemonCart). */
  readonly token: string
}

export interface RunningDaemon {
  readonly info: DaemonInfo
  readonly child: ChildProcess
  readonly exited: Promise<void>
}

export class DaemonSet {
  readonly #live = new Set<RunningDaemon>()
  #base: string | undefined
  #secret: Promise<string> | undefined

  async dataDir (name: string): Promise<string> {
    this.#base ??= await mkdtemp(join(tmpdir(), 'ringstore-e2e-'))
    return join(this.#base, name)
  }

  /** The set's cluster secret file, made with `ringstore secret` on first use. */
  async secret (): Promise<string> {
    this.#secret ??= (async () => {
      const file = await this.dataDir('cluster.secret')
      await run(['secret', file])
      return file
    })()
    return await this.#secret
  }

  /** `ringstore admit` with the set's secret, as an operator admits a full-weight tab: the certificate (base64url). */
  async admit (peerId: string, weight = 1): Promise<string> {
    const { certificate } = JSON.parse(await run(['admit', '--cluster-secret', await this.secret(), '--peer-id', peerId, '--weight', String(weight)])) as { certificate: string }
    return certificate
  }

  /** Starts `name` (data in `<base>/<name>`, reused on restart) bootstrapping from `bootstrap`. */
  async start (name: string, bootstrap: readonly DaemonInfo[] = []): Promise<RunningDaemon> {
    const dataDir = await this.dataDir(name)
    const args = [
      BIN, 'start', '--data-dir', dataDir, '--cluster-secret', await this.secret(),
      '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws',
      '--http', '127.0.0.1:0', '--log-level', 'error', ...CLUSTER_ARGS,
      ...bootstrap.flatMap((d) => ['--bootstrap', d.tcp])
    ]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
    const running: RunningDaemon = { child, exited, info: { name, dataDir, peerId: '', http: '', tcp: '', ws: '', clusterId: '', token: '' } }
    this.#live.add(running)
    void exited.then(() => this.#live.delete(running))
    const ready = await readyLine(child, exited, name)
    const tcp = ready.addrs.find((a) => !a.includes('/ws'))
    const ws = ready.addrs.find((a) => a.includes('/ws/'))
    if (tcp === undefined || ws === undefined) throw new Error(`${name} lacks a TCP or WebSocket address: ${ready.addrs.join(' ')}`)
    const token = (await readFile(ready.tokenFile, 'utf8')).trim()
    const info: DaemonInfo = { name, dataDir, peerId: ready.peerId, http: ready.http, tcp, ws, clusterId: ready.clusterId, token }
    Object.assign(running, { info })
    return running
  }

  /** A first daemon, then `count - 1` more joining through it. */
  async cluster (prefix: string, count: number): Promise<RunningDaemon[]> {
    const first = await this.start(`${prefix}1`)
    const rest = await Promise.all(Array.from({ length: count - 1 }, async (_, i) => await this.start(`${prefix}${i + 2}`, [first.info])))
    return [first, ...rest]
  }

  async kill (daemon: RunningDaemon, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill(signal)
    await daemon.exited
  }

  /** SIGTERM everything still running (SIGKILL past the bound) and remove the data. */
  async stopAll (): Promise<void> {
    await Promise.all([...this.#live].map(async (d) => {
      const timer = setTimeout(() => { d.child.kill('SIGKILL') }, STOP_TIMEOUT_MS)
      d.child.kill('SIGTERM')
      await d.exited
      clearTimeout(timer)
    }))
    if (this.#base !== undefined) await rm(this.#base, { recursive: true, force: true })
  }
}

/** The bin with `args` (a one-shot command): its stdout. */
async function run (args: readonly string[]): Promise<string> {
  return (await promisify(execFile)(process.execPath, [BIN, ...args])).stdout
}

interface ReadyLine { peerId: string, addrs: string[], http: string, clusterId: string, tokenFile: string }

async function readyLine (child: ChildProcess, exited: Promise<void>, name: string): Promise<ReadyLine> {
  if (child.stdout === null) throw new Error(`${name}: no stdout`)
  const lines = createInterface({ input: child.stdout })
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      new Promise<ReadyLine>((resolve) => {
        lines.on('line', (line) => {
          try {
            const event = JSON.parse(line) as ReadyLine & { event?: string }
            if (event.event === 'ready') resolve(event)
          } catch { /* not the ready line */ }
        })
      }),
      exited.then(() => { throw new Error(`daemon ${name} exited before it was ready`) }),
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`daemon ${name} not ready after ${READY_TIMEOUT_MS} ms`)) }, READY_TIMEOUT_MS) })
    ])
  } finally {
    clearTimeout(timer)
  }
}
