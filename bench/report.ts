/**
 * The human side of the results: markdown tables on stdout, the replication table in the
 * columns of bench/README.md's two-peer workload with its reference rows beside ours, and
 * the aims listed there.
 */
import { browserTable } from './browser.js'
import type { BrowserResult } from './browser.js'
import type { ClusterResult } from './cluster.js'
import type { FloorRun } from './floor-node.js'
import type { FloorResult } from './floor.js'
import type { PhaseResult } from './loadgen.js'
import type { ReplicationResult } from './replication.js'
import { ringLoadTable } from './ring-load.js'
import type { RingLoadResult } from './ring-load.js'
import type { W1EmbeddedResult } from './w1-embedded.js'
import type { LatencySummary } from './stats.js'
import type { TailResult } from './tail.js'
import { watchTable } from './watch.js'
import type { WatchResult } from './watch.js'

export interface BenchResults {
  readonly floor?: FloorResult
  readonly cluster?: ClusterResult
  readonly replication?: ReplicationResult
  readonly browser?: BrowserResult
  readonly watch?: WatchResult
  readonly tail?: TailResult
  readonly ring?: RingLoadResult
}

/** The reference rows of bench/README.md, measured on a machine like this one (one run each). */
const REFERENCE_ROWS: ReadonlyArray<readonly string[]> = [
  ['GunDB 0.2020', 'local, batched, not fsync\'d; no replication ack', '6,112', '746', '0.45 / 9.4', '155', '269-319'],
  ['Automerge-repo 2.5, 100 keys per change', 'in memory only', '13,604', '8,364', '21.5 / 120', '159', '211-226'],
  ['OrbitDB 4.0 keyvalue', 'local log, signed; no replication ack', '428', '148', '495 / 785', '4,539', '305-314'],
  ['Peerbit 5.3 documents', 'local append + index; no ack', '379', '185', '1,174 / 1,883', '4,828', '553-568'],
  ['floor: libp2p 3, one stream, ack per frame', 'frame acked by B', '37,983', '19,331', '0.20 / 0.53', '241', '89-110']
]

export function int (x: number): string {
  return Math.round(x).toLocaleString('en-US')
}

export function ms (x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—'
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : int(x)
}

function pcts (s: LatencySummary): string {
  return s.count === 0 ? '—' : `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.p999)}`
}

function errorCount (r: PhaseResult): string {
  const n = Object.values(r.errors).reduce((a, b) => a + b, 0)
  return n === 0 ? '0' : `${n} (${Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join(', ')})`
}

export function table (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

function floorRow (what: string, run: FloorRun): string[] {
  const cpu = `${ms(run.cpuMsPerOp.server)} / ${ms(run.cpuMsPerOp.client)}`
  return [what, run.concurrency === 1 ? 'sequential' : `${run.concurrency} in flight`, int(run.opsPerSec), pcts(run.latency), cpu, String(run.errors)]
}

function phaseRow (what: string, mode: string, r: PhaseResult): string[] {
  return [what, mode, int(r.opsPerSec), pcts(r.get), `${cpuSum(r)} / ${ms(r.cpuMsPerOp.loadgen)}`, errorCount(r)]
}

/** Server-side CPU ms per op: the watched processes added up (the 3 daemons, or the echo). */
function cpuSum (r: PhaseResult): string {
  return ms(r.cpuMsPerOp.pids.reduce((a, b) => a + b, 0))
}

function floorTable (results: BenchResults): string | undefined {
  const rows: string[][] = []
  const f = results.floor
  if (f !== undefined) {
    const what = `libp2p RPC, one reused stream, ${f.replyValueBytes} B reply, nothing stored`
    rows.push(floorRow(what, f.libp2p.sequential), floorRow(what, f.libp2p.inflight))
    rows.push(phaseRow('HTTP no-op (node:http keep-alive)', 'sequential', f.httpNoop.sequential))
    rows.push(phaseRow('HTTP no-op (node:http keep-alive)', `${f.httpNoop.inflight.phase.replace(/^.*-c/, '')} in flight`, f.httpNoop.inflight))
  }
  const c = results.cluster
  if (c !== undefined) {
    rows.push(phaseRow('daemon GET /status (3 daemons)', 'sequential', c.statusSequential))
    rows.push(phaseRow('daemon GET /status (3 daemons)', `${c.config.concurrency} in flight`, c.statusInflight))
    if ('sequential' in c.rpcToDaemon) {
      rows.push(floorRow('libp2p RPC members-pull to a daemon', c.rpcToDaemon.sequential))
      rows.push(floorRow('libp2p RPC members-pull to a daemon', c.rpcToDaemon.inflight))
    }
  }
  if (rows.length === 0) return undefined
  const rss = f === undefined ? '' : `\n\nPeak RSS of the echo process (node + tsx + libp2p, no engine, no store): ${f.echoPeakRssMb.toFixed(0)} MB.`
  return '### Floor: transports alone\n\n' +
    table(['path', 'mode', 'ops/s', 'p50 / p99 / p99.9 ms', 'CPU ms/op server / client', 'errors'], rows) + rss
}

function clusterTable (c: ClusterResult): string {
  const row = (what: string, r: PhaseResult): string[] =>
    [what, int(r.opsPerSec), pcts(r.get), pcts(r.put), `${cpuSum(r)} / ${ms(r.cpuMsPerOp.loadgen)}`, String(r.siblingReads), errorCount(r)]
  const rows = [
    row(`preload ${int(c.config.keys)} keys (${c.config.concurrency} writers)`, c.preload),
    row(`closed loop, ${c.config.concurrency} clients`, c.closed),
    row(`open loop, ${int(c.config.rate)} ops/s offered`, c.open)
  ]
  if (c.openRelative !== undefined) {
    rows.push(row(`open loop, ${int(c.openRelative.targetRate ?? 0)} ops/s offered (${c.config.openFraction} × closed)`, c.openRelative))
  }
  if (c.openLow !== undefined) rows.push(row(`open loop, ${int(c.openLow.targetRate ?? 0)} ops/s offered (low rate: the tail against the floor)`, c.openLow))
  const rss = c.daemons.map((d) => d.peakRssMb.toFixed(0)).join(' / ')
  const now = c.daemons.map((d) => `${d.memoryMb.nowMb.toFixed(0)} (${d.memoryMb.anonMb.toFixed(0)} + ${d.memoryMb.fileMb.toFixed(0)})`).join(' / ')
  return `### Cluster: ${c.config.daemons} daemons, N=${c.config.n} R=${c.config.r} W=${c.config.w}, ${c.config.valueBytes} B values, ` +
    `${Math.round(c.config.readRatio * 100)}/${Math.round((1 - c.config.readRatio) * 100)} read/update over ${int(c.config.keys)} keys, ${c.config.durationS} s per phase\n\n` +
    table(['load', 'ops/s', 'get p50 / p99 / p99.9 ms', 'put p50 / p99 / p99.9 ms', 'CPU ms/op daemons / client', '300s', 'errors'], rows) +
    `\n\nPeak RSS per daemon: ${rss} MB; at the end ${now} MB (anonymous + file-backed). Cluster start to all members up: ${int(c.startupMs)} ms.`
}

function replicationTable (r: ReplicationResult): string {
  const w1 = r.w1
  const w2 = r.w2
  const rss = [r.rssMb.a, r.rssMb.b, r.rssMb.bAfterRestart].filter((x): x is number => x !== undefined)
  const ours = [
    '**ringstore (this run)**',
    `W=${r.config.w}: durable on A and B (fdatasync)`,
    w1 === undefined ? '—' : int(w1.w1a.opsPerSec),
    w1 === undefined ? '—' : int(w1.w1b.opsPerSec),
    w1 === undefined ? '—' : `${ms(w1.w1c.ackLatency.p50)} / ${ms(w1.w1c.ackLatency.p99)}`,
    w2 === undefined ? '—' : w2.timedOut ? 'timed out' : ms(w2.catchUpMs),
    `${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)}`
  ]
  const notes: string[] = []
  if (w1 !== undefined) {
    const cpu = w1.w1a.cpuMsPerWrite
    notes.push(`W1a: ${int(w1.w1a.writes)} writes, ${w1.w1a.inFlight} in flight, ${ms(w1.w1a.ms)} ms, ${w1.w1a.errors} errors; ack p50/p99/p99.9 ${pcts(w1.w1a.ack)} ms; ` +
      `CPU ms per write: A ${ms(cpu.a)}, B ${ms(cpu.b)}, writer ${ms(cpu.writer)}.`)
    notes.push(`W1b: B's local key count complete after ${ms(w1.w1b.ms)} ms (${w1.w1b.method}).`)
    notes.push(`W1c: ${int(w1.w1c.writes)} writes at ${int(w1.w1c.rate)}/s, ${w1.w1c.errors} errors; figures are ack − write time (W=2: the ack implies B holds it durably); p99.9 ${ms(w1.w1c.ackLatency.p999)} ms; ` +
      `slowest ${w1.w1c.slowest.map((x) => `${ms(x.ms)} ms @${(x.dueAtMs / 1000).toFixed(2)} s`).slice(0, 5).join(', ')}; ` +
      `anti-entropy rounds meanwhile: A ${w1.w1c.background['a.antientropy_rounds_total'] ?? '?'}, B ${w1.w1c.background['b.antientropy_rounds_total'] ?? '?'}; ` +
      `writer's own worst event-loop delay ${ms(w1.w1c.writerLoopDelayMaxMs)} ms; ` +
      `CPU ms per write: A ${ms(w1.w1c.cpuMsPerWrite.a)}, B ${ms(w1.w1c.cpuMsPerWrite.b)}, writer ${ms(w1.w1c.cpuMsPerWrite.writer)}.`)
  }
  const mem = (m: { nowMb: number, anonMb: number, fileMb: number }): string => `${m.nowMb.toFixed(0)} (${m.anonMb.toFixed(0)} + ${m.fileMb.toFixed(0)})`
  notes.push(`RSS: peak A ${r.rssMb.a.toFixed(0)}, B ${r.rssMb.b.toFixed(0)}${r.rssMb.bAfterRestart === undefined ? '' : `, B after restart ${r.rssMb.bAfterRestart.toFixed(0)}`} MB; ` +
    `at the end A ${mem(r.memoryMb.a)}, B ${mem(r.memoryMb.b)} MB (anonymous + file-backed).`)
  if (w2 !== undefined) {
    notes.push(`W2: ${int(w2.writes)} writes with w=1 while B was down (${w2.writeErrors} errors, ${w2.hintsPendingOnA} hints pending on A); ` +
      `B restart spawn→ready ${ms(w2.restartToReadyMs)} ms; from B's ready line: B's keys complete ${ms(w2.bKeysCompleteMs)} ms, A's hints at 0 ${ms(w2.aHintsZeroMs)} ms.`)
  }
  const embedded = r.w1Embedded
  if (embedded !== undefined) notes.push(...embeddedNotes(embedded))
  const rows = embedded === undefined ? [ours, ...REFERENCE_ROWS] : [ours, embeddedRow(embedded, r.config.w), ...REFERENCE_ROWS]
  return '### Replication workload (bench/README.md), two daemons, N=2 W=2\n\n' +
    table(['system', 'what an ack means', 'W1a ops/s', 'W1b ops/s', 'W1c p50 / p99 ms', 'W2 ms', 'RSS MB'], rows) +
    `\n\n${notes.map((n) => `- ${n}`).join('\n')}`
}

/** The embedded-writer variant of W1 (w1-embedded.ts): its own row, W2 not measured. */
function embeddedRow (e: W1EmbeddedResult, w: number): string[] {
  return [
    '**ringstore, embedded writer (library API, like the reference rows)**',
    `W=${w}: durable on A and B (fdatasync)`,
    int(e.w1a.opsPerSec),
    int(e.w1b.opsPerSec),
    `${ms(e.w1c.ackLatency.p50)} / ${ms(e.w1c.ackLatency.p99)}`,
    '—',
    `${Math.min(e.rssMb.a, e.rssMb.b).toFixed(0)}-${Math.max(e.rssMb.a, e.rssMb.b).toFixed(0)}`
  ]
}

function embeddedNotes (e: W1EmbeddedResult): string[] {
  return [
    `Embedded writer (${e.method}): W1a ${int(e.w1a.writes)} Peer.put, ${e.w1a.inFlight} in flight, ${ms(e.w1a.ms)} ms, ${e.w1a.errors} errors; ` +
      `ack p50/p99/p99.9 ${pcts(e.w1a.ack)} ms; CPU ms per write: A (peer and writer, one process) ${ms(e.w1a.cpuMsPerWrite.a)}, B ${ms(e.w1a.cpuMsPerWrite.b)}. ` +
      `W1b: B's key count complete ${ms(e.w1b.ms)} ms after A's first write.`,
    `Embedded writer W1c: ${int(e.w1c.writes)} Peer.put at ${int(e.w1c.rate)}/s, ${e.w1c.errors} errors; p99.9 ${ms(e.w1c.ackLatency.p999)} ms; ` +
      `slowest ${e.w1c.slowest.map((x) => `${ms(x.ms)} ms @${(x.dueAtMs / 1000).toFixed(2)} s`).slice(0, 5).join(', ')}; ` +
      `anti-entropy rounds meanwhile: A ${e.w1c.background['a.antientropy_rounds_total'] ?? '?'}, B ${e.w1c.background['b.antientropy_rounds_total'] ?? '?'}; ` +
      `A's worst event-loop delay ${ms(e.w1c.aLoopDelayMaxMs)} ms; CPU ms per write: A (peer and writer) ${ms(e.w1c.cpuMsPerWrite.a)}, B ${ms(e.w1c.cpuMsPerWrite.b)}; ` +
      `RSS peak A ${e.rssMb.a.toFixed(0)}, B ${e.rssMb.b.toFixed(0)} MB.`
  ]
}

function tailTables (t: TailResult): string[] {
  const parts: string[] = []
  if (t.figures.length > 0) {
    parts.push('### Tail latency against the floor (same run)\n\n' + table(['figure', 'ringstore ms', 'floor ms', 'floor is', 'ratio', 'aim'],
      t.figures.map((f) => [f.figure, ms(f.ringstore), ms(f.floor), f.floorIs, `${f.ratio.toFixed(2)}×`, f.aim === undefined ? '' : `≤ ${f.aim}×`])))
  }
  if (t.loopDelayP99Ms.length > 0) {
    parts.push('### Event-loop delay p99 and garbage-collection pauses per daemon and phase (ms)\n\n' + table(['phase', 'loop delay p99, each daemon', 'GC pauses in all, each daemon'],
      t.loopDelayP99Ms.map((r) => [r.phase, r.daemons.map((d) => ms(d)).join(' / '), r.gcPauseMs.length === 0 ? '—' : r.gcPauseMs.map((d) => ms(d)).join(' / ')])))
  }
  return parts
}

function aims (results: BenchResults): string[] {
  const lines: string[] = []
  const check = (what: string, value: number | null | undefined, ok: (v: number) => boolean, shown: string): void => {
    const met = value !== null && value !== undefined && ok(value)
    lines.push(`- ${met ? 'met ' : 'MISS'} ${what}: ${shown}`)
  }
  const r = results.replication
  if (r?.w1 !== undefined) {
    check('W1a = W1b ≥ 5,000 ops/s', Math.min(r.w1.w1a.opsPerSec, r.w1.w1b.opsPerSec), (v) => v >= 5000, `${int(r.w1.w1a.opsPerSec)} / ${int(r.w1.w1b.opsPerSec)}`)
    check('W1c p99 ≤ 2 ms', r.w1.w1c.ackLatency.p99, (v) => v <= 2, `${ms(r.w1.w1c.ackLatency.p99)} ms`)
  }
  const e = r?.w1Embedded
  if (e !== undefined) {
    check('W1a = W1b ≥ 5,000 ops/s (embedded writer)', Math.min(e.w1a.opsPerSec, e.w1b.opsPerSec), (v) => v >= 5000, `${int(e.w1a.opsPerSec)} / ${int(e.w1b.opsPerSec)}`)
    check('W1c p99 ≤ 2 ms (embedded writer)', e.w1c.ackLatency.p99, (v) => v <= 2, `${ms(e.w1c.ackLatency.p99)} ms`)
  }
  if (r?.w2 !== undefined) check('W2 ≤ 100 ms', r.w2.catchUpMs, (v) => v <= 100, r.w2.timedOut ? 'timed out' : `${ms(r.w2.catchUpMs)} ms`)
  if (r !== undefined) {
    const peak = Math.max(r.rssMb.a, r.rssMb.b, r.rssMb.bAfterRestart ?? 0)
    check('RSS ≤ 150 MB per peer', peak, (v) => v <= 150, `${peak.toFixed(0)} MB`)
  }
  const c = results.cluster
  if (c !== undefined) {
    check('cluster ≥ 5,000 ops/s (closed loop)', c.closed.opsPerSec, (v) => v >= 5000, int(c.closed.opsPerSec))
    const p999 = Math.max(c.open.get.p999, c.open.put.p999)
    check(`cluster p99.9 ≤ 10 ms (open loop, ${int(c.config.rate)}/s)`, p999, (v) => v <= 10, `${ms(p999)} ms`)
  }
  for (const f of results.tail?.figures ?? []) {
    if (f.aim !== undefined) check(`${f.figure} ≤ ${f.aim}× ${f.floorIs}`, f.ratio, (v) => v <= (f.aim ?? 0), `${f.ratio.toFixed(2)}× (${ms(f.ringstore)} vs ${ms(f.floor)})`)
  }
  return lines
}

export function render (results: BenchResults): string {
  const parts: string[] = []
  const floor = floorTable(results)
  if (floor !== undefined) parts.push(floor)
  if (results.cluster !== undefined) parts.push(clusterTable(results.cluster))
  if (results.replication !== undefined) parts.push(replicationTable(results.replication))
  if (results.browser !== undefined) parts.push(browserTable(results.browser, { ms, int, table }))
  if (results.watch !== undefined) parts.push(watchTable(results.watch))
  if (results.tail !== undefined) parts.push(...tailTables(results.tail))
  if (results.ring !== undefined) parts.push(ringLoadTable(results.ring))
  const goals = aims(results)
  if (goals.length > 0) parts.push(`### Aims (bench/README.md)\n\n${goals.join('\n')}`)
  return `${parts.join('\n\n')}\n`
}
