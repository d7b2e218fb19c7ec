/**
 * Tail latency against the floor (bench/README.md, "Tail latency against the floor"): each
 * tail figure of ringstore next to the same figure of the bare transport measured in the
 * same run, and their ratio, so a figure can be judged on a machine whose speed drifts.
 * Only pairs whose both sides ran are given (the floor section and cluster or w1).
 */
import type { ClusterResult } from './cluster.js'
import type { FloorResult } from './floor.js'
import type { ReplicationResult } from './replication.js'

export interface TailFigure {
  readonly figure: string
  readonly ringstore: number
  readonly floor: number
  readonly floorIs: string
  readonly ratio: number
  /** The ratio aimed at (≤), when there is one. */
  readonly aim?: number
}

/** One phase's event-loop delay p99 per daemon and its garbage-collection pauses in all (ms; null: not scraped). */
export interface LoopDelayRow {
  readonly phase: string
  readonly daemons: ReadonlyArray<number | null>
  readonly gcPauseMs: ReadonlyArray<number | null>
}

export interface TailResult {
  readonly figures: TailFigure[]
  readonly loopDelayP99Ms: LoopDelayRow[]
}

const round2 = (x: number): number => Math.round(x * 100) / 100

function pair (figure: string, ringstore: number, floor: number, floorIs: string, aim?: number): TailFigure {
  return { figure, ringstore, floor, floorIs, ratio: floor > 0 ? round2(ringstore / floor) : NaN, ...(aim === undefined ? {} : { aim }) }
}

export function tailFigures (floor: FloorResult | undefined, cluster: ClusterResult | undefined, replication: ReplicationResult | undefined): TailResult {
  const figures: TailFigure[] = []
  const w1c = replication?.w1?.w1c
  const floorOpen = floor?.libp2p.open
  if (w1c !== undefined && floorOpen !== undefined) {
    const what = `libp2p request acked per frame at ${w1c.rate}/s`
    figures.push(pair(`W1c p99 at ${w1c.rate} writes/s (N=2 W=2)`, w1c.ackLatency.p99, floorOpen.latency.p99, what, 3))
    figures.push(pair(`W1c p99.9 at ${w1c.rate} writes/s`, w1c.ackLatency.p999, floorOpen.latency.p999, what))
  }
  const low = cluster?.openLow
  const seq = floor?.libp2p.sequential
  if (low !== undefined && seq !== undefined) {
    const what = 'libp2p RPC sequential p99.9'
    figures.push(pair(`cluster get p99.9 at ${low.targetRate ?? '?'} ops/s`, low.get.p999, seq.latency.p999, what, 3))
    figures.push(pair(`cluster put p99.9 at ${low.targetRate ?? '?'} ops/s`, low.put.p999, seq.latency.p999, what, 3))
  }
  if (low !== undefined && cluster !== undefined) {
    const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
    figures.push(pair(`daemons' CPU ms per op at ${low.targetRate ?? '?'} ops/s`, sum(low.cpuMsPerOp.pids), sum(cluster.closed.cpuMsPerOp.pids), `the same in the closed loop (${cluster.config.concurrency} clients)`, 1.5))
  }
  const loopDelayP99Ms: LoopDelayRow[] = []
  if (cluster !== undefined) {
    for (const phase of [cluster.preload, cluster.closed, cluster.open, cluster.openRelative, cluster.openLow]) {
      if (phase?.loopDelayP99Ms !== undefined) loopDelayP99Ms.push({ phase: `cluster ${phase.phase}`, daemons: phase.loopDelayP99Ms, gcPauseMs: phase.gcPauseMs ?? [] })
    }
  }
  const w1 = replication?.w1
  if (w1 !== undefined) {
    loopDelayP99Ms.push({ phase: 'w1a (A, B)', daemons: [w1.w1a.loopDelayP99Ms.a, w1.w1a.loopDelayP99Ms.b], gcPauseMs: [w1.w1a.gcPauseMs.a, w1.w1a.gcPauseMs.b] })
    loopDelayP99Ms.push({ phase: 'w1c (A, B)', daemons: [w1.w1c.loopDelayP99Ms.a, w1.w1c.loopDelayP99Ms.b], gcPauseMs: [w1.w1c.gcPauseMs.a, w1.w1c.gcPauseMs.b] })
  }
  return { figures, loopDelayP99Ms }
}
