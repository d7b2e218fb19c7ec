/**
 * Vitest global setup (runs in Node, before the browser specs): two real ringstore daemons
 * (`ringstore start`, the package's own bin) on loopback, the second joining through the
 * first, both with one cluster secret (`ringstore secret`: clusters are closed by default),
 * each listening on TCP (daemon to daemon) and WebSockets (browsers) and running the
 * circuit-relay server. Their addresses and the secret's path reach the specs through
 * `provide`/`inject` (the secret only as a path, for the `admit` command: admit.command.ts).
 * The page reaches each daemon's HTTP API through a token proxy (token-proxy.ts): the API
 * wants the bearer token, which a page never holds.
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestProject } from 'vitest/node'
import { BIN } from './bin.js'
import type { DaemonInfo } from './daemon-info.js'
import { startTokenProxy } from './token-proxy.js'
import type { TokenProxy } from './token-proxy.js'

/** A daemon that has not printed its ready line by then is broken (it starts in ~2 s here). */
const READY_TIMEOUT_MS = 30_000
/** Clean shutdown bound before SIGKILL. */
const STOP_TIMEOUT_MS = 10_000

interface Running {
  readonly child: ChildProcess
  readonly info: DaemonInfo
  readonly proxy: TokenProxy
}

export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const base = await mkdtemp(join(tmpdir(), 'ringstore-browser-'))
  const running: Running[] = []
  const teardown = async (): Promise<void> => {
    await Promise.all(running.map(async (r) => { await r.proxy.close(); await stop(r.child) }))
    await rm(base, { recursive: true, force: true })
  }
  try {
    const secret = join(base, 'cluster.secret')
    execFileSync(process.execPath, [BIN, 'secret', secret], { stdio: ['ignore', 'ignore', 'inherit'] })
    const first = await startDaemon(join(base, 'd1'), secret, [])
    running.push(first)
    const second = await startDaemon(join(base, 'd2'), secret, [tcpAddr(first.info)])
    running.push(second)
    project.provide('daemons', running.map((r) => r.info))
    project.provide('clusterSecret', secret)
  } catch (error) {
    await teardown()
    throw error
  }
  return teardown
}

async function startDaemon (dataDir: string, secret: string, bootstrap: string[]): Promise<Running> {
  const args = [
    BIN, 'start', '--data-dir', dataDir, '--cluster-secret', secret,
    '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws',
    '--http', '127.0.0.1:0', '--log-level', 'error',
    ...bootstrap.flatMap((addr) => ['--bootstrap', addr])
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const ready = await new Promise<{ peerId: string, addrs: string[], http: string, clusterId: string, tokenFile: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon in ${dataDir} not ready after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon in ${dataDir} exited with ${code} before ready`)) })
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string, peerId: string, addrs: string[], http: string, clusterId: string, tokenFile: string }
        if (event.event !== 'ready') return
        clearTimeout(timer)
        resolve(event)
      } catch { /* not the ready line */ }
    })
  })
  const ws = ready.addrs.find((addr) => addr.includes('/ws/'))
  if (ws === undefined) throw new Error(`daemon ${ready.peerId} has no WebSockets address: ${ready.addrs.join(' ')}`)
  const proxy = await startTokenProxy(ready.http, (await readFile(ready.tokenFile, 'utf8')).trim())
  return { child, proxy, info: { peerId: ready.peerId, ws, addrs: ready.addrs, http: proxy.url, clusterId: ready.clusterId } }
}

function tcpAddr (info: DaemonInfo): string {
  const tcp = info.addrs.find((addr) => !addr.includes('/ws'))
  if (tcp === undefined) throw new Error(`daemon ${info.peerId} has no TCP address`)
  return tcp
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}
