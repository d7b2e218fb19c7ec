/**
 * `ringstore cluster` (and `npm start`): a few daemons on this machine, each a child
 * process running `ringstore start`, data under one base folder, the 2nd and later peers
 * bootstrapping from the 1st, all sharing one cluster secret (`<base>/cluster-secret`,
 * created on the first run and reused after) and one HTTP bearer token (`<base>/http-token`,
 * likewise: one curl line works against every daemon). Fixed default ports (HTTP 7070.., libp2p TCP 7170.., WS
 * 7270..) so that a restart finds the same addresses; a busy port falls back to a free one.
 *
 * Children run in their own process group: Ctrl-C reaches only this launcher, which then
 * sends each child exactly one SIGTERM (a second signal would make a daemon skip its clean
 * shutdown) and waits for all of them. Should the launcher die without doing so, the
 * children notice through their IPC channel and stop themselves.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ClusterOptions } from './args.js'
import { DEFAULT_SECRET_FILE, loadOrCreateSecretFile } from './cluster-secret.js'
import { READY_TIMEOUT_MS, WS_PORT_OFFSET } from './constants.js'
import { DEFAULT_TOKEN_FILE, loadOrCreateTokenFile } from './http-token.js'

const BIN = fileURLToPath(new URL('../bin/ringstore.js', import.meta.url))

export interface ReadyLine {
  readonly event: 'ready'
  readonly peerId: string
  readonly addrs: string[]
  readonly http: string
  readonly clusterId: string
  /** The HTTP API's bearer token file. */
  readonly tokenFile: string
}

interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly ready: ReadyLine
  readonly log: string
  readonly exited: Promise<number | null>
}

export async function runLocalCluster (options: ClusterOptions): Promise<number> {
  await mkdir(options.baseDir, { recursive: true })
  const children: Child[] = []
  let stopping = false
  const stopAll = async (): Promise<void> => {
    stopping = true
    for (const child of children) child.process.kill('SIGTERM')
    await Promise.all(children.map(async (c) => await c.exited))
  }
  // `on`, not `once`: npm forwards the terminal's Ctrl-C to us as well, and a signal
  // without a handler would kill the launcher in the middle of stopping the daemons.
  const signalled = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => { resolve() })
  })
  let secretFile: string
  try {
    // One secret for the whole local cluster: without it each daemon would form its own.
    secretFile = (await loadOrCreateSecretFile(join(options.baseDir, DEFAULT_SECRET_FILE))).file
    const tokenFile = (await loadOrCreateTokenFile(join(options.baseDir, DEFAULT_TOKEN_FILE))).file
    // Peer 1 first (the others join through it); the rest start together.
    const seed = await startChild(options, 0, [], secretFile, tokenFile)
    children.push(seed)
    const bootstrap = [tcpAddr(seed.ready)]
    const others = await Promise.allSettled(Array.from({ length: options.peers - 1 }, async (_, i) => await startChild(options, i + 1, bootstrap, secretFile, tokenFile)))
    for (const result of others) if (result.status === 'fulfilled') children.push(result.value)
    const failed = others.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  } catch (error) {
    process.stderr.write(`ringstore cluster: ${error instanceof Error ? error.message : String(error)}\n`)
    await stopAll()
    return 1
  }
  await writeFile(join(options.baseDir, 'cluster.json'), `${JSON.stringify(children.map((c) => ({ name: c.name, pid: c.process.pid, ...c.ready })), null, 2)}\n`)
  process.stdout.write(banner(options, children, secretFile))
  const anyExit = Promise.race(children.map(async (c) => { await c.exited; return c }))
  const first = await Promise.race([signalled.then(() => null), anyExit])
  if (first !== null && !stopping) process.stderr.write(`ringstore cluster: ${first.name} exited unexpectedly (see ${first.log}); stopping the others\n`)
  process.stdout.write('stopping the cluster...\n')
  await stopAll()
  process.stdout.write('stopped.\n')
  return first === null ? 0 : 1
}

async function startChild (options: ClusterOptions, index: number, bootstrap: string[], secretFile: string, tokenFile: string): Promise<Child> {
  const name = `peer-${index + 1}`
  const dataDir = join(options.baseDir, name)
  await mkdir(dataDir, { recursive: true })
  const httpPort = await portOrAny(options.httpPort + index)
  const tcpPort = await portOrAny(options.p2pPort + index)
  const wsPort = await portOrAny(options.p2pPort + WS_PORT_OFFSET + index)
  const args = [
    BIN, 'start',
    '--data-dir', dataDir,
    '--http', `127.0.0.1:${httpPort}`,
    '--listen', `/ip4/127.0.0.1/tcp/${tcpPort}`,
    '--listen', `/ip4/127.0.0.1/tcp/${wsPort}/ws`,
    '--log-level', options.logLevel,
    ...bootstrap.flatMap((addr) => ['--bootstrap', addr]),
    '--cluster-secret', secretFile,
    '--http-token-file', tokenFile,
    ...options.passThrough
  ]
  const log = join(dataDir, 'daemon.log')
  const logFd = openSync(log, 'a')
  let child: ChildProcess
  try {
    // The IPC channel is only a lifeline: if this launcher dies without stopping them
    // (SIGKILL), the channel closes and each daemon shuts itself down (cli.ts).
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', logFd, 'ipc'], detached: true })
  } finally {
    closeSync(logFd)
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  try {
    const ready = await readyLine(child, exited, `${name} (log: ${log})`)
    return { name, process: child, ready, log, exited }
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
}

/** The daemon's ready line from its stdout, or an error if it exits or stays silent. */
export async function readyLine (child: ChildProcess, exited: Promise<number | null>, what: string): Promise<ReadyLine> {
  if (child.stdout === null) throw new Error(`${what}: no stdout`)
  const lines = createInterface({ input: child.stdout })
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      new Promise<ReadyLine>((resolve) => {
        lines.on('line', (line) => {
          try {
            const parsed = JSON.parse(line) as Partial<ReadyLine>
            if (parsed.event === 'ready' && typeof parsed.http === 'string') resolve(parsed as ReadyLine)
          } catch { /* not our line */ }
        })
      }),
      exited.then((code) => { throw new Error(`${what} exited with code ${String(code)} before it was ready`) }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`${what} not ready after ${READY_TIMEOUT_MS} ms`)) }, READY_TIMEOUT_MS)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}

function tcpAddr (ready: ReadyLine | undefined): string {
  const addr = ready?.addrs.find((a) => a.includes('/tcp/') && !a.includes('/ws'))
  if (addr === undefined) throw new Error('the first peer announced no TCP address')
  return addr
}

/** `port` if it can be bound on 127.0.0.1 right now, else 0 (the daemon picks a free one). */
async function portOrAny (port: number): Promise<number> {
  return await new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => { resolve(0) })
    probe.listen(port, '127.0.0.1', () => { probe.close(() => { resolve(port) }) })
  })
}

function banner (options: ClusterOptions, children: readonly Child[], secretFile: string): string {
  const [first, second] = children
  const lines = [
    `ringstore: a local cluster of ${children.length} peer${children.length === 1 ? '' : 's'} is up (data in ${options.baseDir}/)`,
    ...children.map((c) => `  ${c.name}  ${c.ready.http}  ${c.ready.peerId}  log: ${c.log}`),
    `Cluster ${children[0]?.ready.clusterId ?? ''}, secret ${secretFile}: another daemon joins with`,
    `  ringstore start --cluster-secret ${secretFile} --bootstrap ${tcpAddr(first?.ready)} ...`,
    '',
    `The shop demo: ${first?.ready.http ?? ''}/  (every daemon serves it; open it in several tabs)`,
    '',
    `Try (the HTTP API wants the bearer token in ${first?.ready.tokenFile ?? ''}):`,
    `  TOKEN=$(cat ${first?.ready.tokenFile ?? ''})`,
    `  curl -i -H "Authorization: Bearer $TOKEN" -X PUT --data-binary 'hello' ${first?.ready.http ?? ''}/kv/greeting`,
    `  curl -i -H "Authorization: Bearer $TOKEN" ${(second ?? first)?.ready.http ?? ''}/kv/greeting`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${first?.ready.http ?? ''}/status`,
    `Peers and addresses: ${join(options.baseDir, 'cluster.json')}. Ctrl-C stops the cluster.`,
    ''
  ]
  return lines.join('\n')
}
