/**
 * Child processes of the benchmark: spawned in their own process group (so a daemon's
 * helpers die with it), tracked, and killed when the benchmark exits for any reason —
 * normal end, error, Ctrl-C — so no run leaves orphans behind.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream, readFileSync, readdirSync } from 'node:fs'
import type { WriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

export interface Child {
  readonly name: string
  readonly proc: ChildProcess
  readonly pid: number
  /** Where its stderr (and unread stdout) goes, or undefined when stderr is ours. */
  readonly logFile: string | undefined
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>
  /** Every stdout line, in order, as it arrives. */
  onLine(fn: (line: string) => void): void
}

export interface SpawnOptions {
  /** stderr and stdout copy to this file; default: stderr passes through to ours. */
  readonly logFile?: string
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
}

const live = new Set<Child>()
let cleanupInstalled = false

/**
 * Even a SIGKILL of the benchmark must not leave daemons behind: a tiny detached watchdog
 * learns every child's process group on its stdin ("+pgid" / "-pgid") and, when that pipe
 * closes (the kernel closes it however we die), SIGKILLs the groups still listed.
 */
const WATCHDOG_SOURCE = `
const groups = new Set()
let buffered = ''
process.stdin.on('data', (chunk) => {
  buffered += chunk
  const lines = buffered.split('\\n')
  buffered = lines.pop()
  for (const line of lines) {
    const pgid = Number(line.slice(1))
    if (line[0] === '+') groups.add(pgid)
    else groups.delete(pgid)
  }
})
process.stdin.on('end', () => {
  for (const pgid of groups) { try { process.kill(-pgid, 'SIGKILL') } catch {} }
  process.exit(0)
})
`
let watchdog: ChildProcess | undefined

function tellWatchdog (line: string): void {
  if (watchdog === undefined) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], { stdio: ['pipe', 'ignore', 'ignore'], detached: true })
    watchdog.unref()
    watchdog.on('error', () => { watchdog = undefined })
  }
  watchdog.stdin?.write(`${line}\n`)
}

export function spawnChild (name: string, command: string, args: readonly string[], options: SpawnOptions = {}): Child {
  installCleanup()
  const log: WriteStream | undefined = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: 'a' })
  const proc = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    // stdin is a pipe that closes when we die: our own children exit on its end.
    stdio: ['pipe', 'pipe', log === undefined ? 'inherit' : 'pipe'],
    detached: true
  })
  if (proc.pid === undefined) throw new Error(`could not spawn ${name}: ${command}`)
  const listeners: Array<(line: string) => void> = []
  const pid = proc.pid
  tellWatchdog(`+${pid}`)
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(child)
      // The group may outlive its leader (a launcher's children): kill stragglers first.
      try { process.kill(-pid, 'SIGKILL') } catch { /* the group is gone */ }
      tellWatchdog(`-${pid}`)
      resolve(code ?? signal ?? 'unknown')
    })
  })
  if (log !== undefined) {
    proc.stderr?.pipe(log)
    proc.on('close', () => log.end())
  }
  lines(proc.stdout, (line) => {
    log?.write(`[stdout] ${line}\n`)
    for (const fn of listeners) fn(line)
  })
  const child: Child = { name, proc, pid: proc.pid, logFile: options.logFile, exited, onLine: (fn) => listeners.push(fn) }
  live.add(child)
  return child
}

/** Resolves with the first stdout line that parses as JSON and satisfies `accept`. */
export async function waitForJson<T> (child: Child, accept: (value: unknown) => value is T, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.name}: no expected line within ${timeoutMs} ms${logHint(child)}`)), timeoutMs)
    child.onLine((line) => {
      const value = parseJson(line)
      if (value !== undefined && accept(value)) {
        clearTimeout(timer)
        resolve(value)
      }
    })
    void child.exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${child.name} exited (${code}) before its expected line${logHint(child)}`))
    })
  })
}

/** SIGTERM (or `signal`) to the child's group; SIGKILL if it is still there after `graceMs`. */
export async function stopChild (child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | string> {
  if (!live.has(child)) return child.exited
  signalGroup(child, signal)
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs)
  try {
    return await child.exited
  } finally {
    clearTimeout(timer)
  }
}

export async function stopAll (): Promise<void> {
  await Promise.all([...live].map(async (child) => stopChild(child)))
}

/** Synchronous last resort: SIGKILL every child group still alive. */
export function killAll (): void {
  for (const child of live) signalGroup(child, 'SIGKILL')
}

/**
 * Peak resident set (VmHWM) in MB of the child and its descendants: the largest process
 * of its tree, i.e. the node process doing the work even behind a launcher.
 */
export function peakRssMb (child: Child): number {
  return memoryOf(child).peakMb
}

export interface MemoryMb {
  /** VmHWM: the peak resident set. */
  readonly peakMb: number
  /** VmRSS now, and its split: anonymous (heap, buffers) and file-backed (code, mmapped LMDB pages). */
  readonly nowMb: number
  readonly anonMb: number
  readonly fileMb: number
}

/** Memory of the largest process (by peak) of the child's tree, from /proc/<pid>/status. */
export function memoryOf (child: Child): MemoryMb {
  let best = { VmHWM: 0, VmRSS: 0, RssAnon: 0, RssFile: 0 }
  for (const pid of [child.pid, ...descendants(child.pid)]) {
    const m = statusKb(pid)
    if (m.VmHWM > best.VmHWM) best = m
  }
  const mb = (kb: number): number => Math.round(kb / 102.4) / 10
  return { peakMb: mb(best.VmHWM), nowMb: mb(best.VmRSS), anonMb: mb(best.RssAnon), fileMb: mb(best.RssFile) }
}

function statusKb (pid: number): { VmHWM: number, VmRSS: number, RssAnon: number, RssFile: number } {
  let text = ''
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch { /* gone */ }
  const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)\\s+kB`).exec(text)?.[1] ?? 0)
  return { VmHWM: field('VmHWM'), VmRSS: field('VmRSS'), RssAnon: field('RssAnon'), RssFile: field('RssFile') }
}

function descendants (root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(entry))
      children.set(ppid, list)
    } catch { /* the process just exited */ }
  }
  const found: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const pid of children.get(queue.shift() ?? -1) ?? []) {
      found.push(pid)
      queue.push(pid)
    }
  }
  return found
}

function signalGroup (child: Child, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid, signal)
  } catch {
    try { child.proc.kill(signal) } catch { /* already gone */ }
  }
}

function installCleanup (): void {
  if (cleanupInstalled) return
  cleanupInstalled = true
  process.on('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, killing ${live.size} child process(es)\n`)
      killAll()
      process.exit(130)
    })
  }
}

export function lines (stream: Readable | null, fn: (line: string) => void): void {
  if (stream === null) return
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', fn)
}

export function parseJson (line: string): unknown {
  if (!line.startsWith('{')) return undefined
  try {
    return JSON.parse(line) as unknown
  } catch {
    return undefined
  }
}

function logHint (child: Child): string {
  if (child.logFile === undefined) return ''
  let tail = ''
  try {
    tail = readFileSync(child.logFile, 'utf8').split('\n').slice(-15).join('\n')
  } catch { /* no log yet */ }
  return ` (log: ${child.logFile})\n${tail}`
}
