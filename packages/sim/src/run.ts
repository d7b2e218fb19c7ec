/**
 * One simulated run from one seed: start a cluster, run the workload under its fault
 * schedule, settle and converge, check every invariant. Same seed, same options → the same
 * result, byte for byte (nothing here reads the real clock or Math.random).
 */
import type { DvvSet, Key, PeerId, TruncationBounds } from '@ringstore/core'
import type { Logger } from '@ringstore/peer'
import { checkHistory, checkRogue, dottedSiblings, refusedAtSiblingCap } from './checker.js'
import type { KeySnapshot, RogueEvidence, Violation } from './checker.js'
import { SimCluster } from './cluster.js'
import { MAINTENANCE_STEP_MS, SIM_CLOCK_SKEW_MS, SIM_N, SIM_RING_CHECKPOINTS, SIM_TOMBSTONE_GRACE_MS } from './constants.js'
import { settleAndConverge } from './converge.js'
import { containsPlanted, isOwnValue } from './forge.js'
import { collectAndVerify } from './gc.js'
import { Rng } from './rng.js'
import { ROGUE_ID, RoguePeer } from './rogue.js'
import type { RogueStats } from './rogue.js'
import { settle } from './scheduler.js'
import { keyName, Workload } from './workload.js'
import type { FaultLevel } from './workload.js'

export interface RunOptions {
  readonly peers: number
  /** Operations per seed. */
  readonly ops: number
  readonly keys: number
  readonly clients: number
  readonly faults: FaultLevel
  /**
   * Peers join and leave during heavy-fault runs. Off by default: hints for a peer that
   * left are never re-routed by the engine yet (seeds 72, 80, … report them as stuck).
   */
  readonly churn: boolean
  /**
   * An admitted cluster (every peer holds an admission of the run's authority) with a rogue
   * peer that tries to become a member and sends every request type with forged versions
   * (rogue.ts); the checker adds that it never became one, was refused every member-only
   * request, and that none of its forgeries reached an honest peer (checkRogue).
   */
  readonly rogue: boolean
  /**
   * Every peer joins through the seeds at start, as a new cluster forms, even past
   * WARM_START_MIN_PEERS where the cluster starts warm by default: as one that restarts,
   * every peer's disk holding the member table already (warm-start.ts).
   */
  readonly coldStart?: boolean
  /** Ring checkpoints on every peer, at the simulator's pace (SIM_RING_CHECKPOINTS): members drop the records of those that left. */
  readonly ringCheckpoints?: boolean
  /**
   * Every peer's truncation bounds (peer config `truncation`); absent: the engine's own.
   * Tests pass a plain count bound to drive truncation in a run too short for a record to
   * grow old (core versions-prune.ts).
   */
  readonly truncation?: TruncationBounds
  /** Mean think time between one client's operations, virtual ms: spreads the workload over the fault schedule. */
  readonly thinkMs: number
  readonly q: number
  /** Anti-entropy rounds allowed to converge after heal. */
  readonly maxRounds: number
  /**
   * fsync latency range of every disk, virtual ms (default: the cluster's SSD-like range).
   * Slow disks widen the window in which a crash catches a write a coordinator has already
   * sent to its replicas (staged mints, peer/src/data/replica-store.ts).
   */
  readonly fsyncMs?: readonly [min: number, max: number]
  /** Per-operation and engine log lines (for --verbose). */
  readonly trace?: (line: string) => void
  /** A line at each phase of the run and every thousand operations (the CLI prints them for one long seed). */
  readonly progress?: (line: string) => void
}

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  peers: 5,
  ops: 60,
  keys: 8,
  clients: 4,
  faults: 'heavy',
  churn: false,
  rogue: false,
  thinkMs: 50,
  q: 64,
  maxRounds: 5
}

export interface RunResult {
  readonly seed: number
  readonly peers: number
  readonly ops: number
  /** Writes (put/delete) that reached W acks. */
  readonly acknowledged: number
  /** Operations answered with an error. */
  readonly failed: number
  /** Failed writes refused at the sibling cap (checker.ts refusedAtSiblingCap; not violations). */
  readonly atSiblingCap: number
  /** Operations never answered (their coordinator crashed). */
  readonly pending: number
  /** Acknowledged writes some replica lost (lost-write violations). */
  readonly lost: number
  /** Acknowledged writes later superseded whose record truncation dropped (checker.ts; not violations). */
  readonly truncated: number
  readonly resurrected: number
  readonly convergenceRounds: number
  /** Tombstones removed in the collection phase after the check. */
  readonly tombstonesCollected: number
  readonly siblingHistogram: Record<number, number>
  /** The most entries any final replica's clock held (absent: not measured). */
  readonly maxClockEntries?: number
  readonly faultsInjected: number
  /** Cluster events during the workload by kind (crash, restart, partition, loss, …). */
  readonly faultCounts: Record<string, number>
  readonly violations: Violation[]
  readonly virtualMs: number
  readonly events: number
  /** Requests the peers sent, by type (network.ts NetworkStats.requests). */
  readonly requests: Record<string, number>
  /** Member records the peers' `members` replies carried (network.ts NetworkStats.memberRecords). */
  readonly memberRecords?: Record<string, number>
  /** Rogue runs: what the rogue sent and how it was answered, and how many of its own values the final replicas hold. */
  readonly rogue?: RogueStats & { readonly ownValuesHeld: number }
}

/** The exact command that replays a seed. */
export function replayCommand (seed: number, options: Partial<RunOptions> = {}): string {
  const o = { ...DEFAULT_RUN_OPTIONS, ...options }
  const extra = [
    o.ops !== DEFAULT_RUN_OPTIONS.ops ? ` --ops ${o.ops}` : '',
    o.faults !== DEFAULT_RUN_OPTIONS.faults ? ` --faults ${o.faults}` : '',
    o.churn ? ' --churn' : '',
    o.rogue ? ' --rogue' : '',
    o.ringCheckpoints === true ? ' --ring-checkpoints' : '',
    o.coldStart === true ? ' --cold-start' : '',
    o.keys !== DEFAULT_RUN_OPTIONS.keys ? ` --keys ${o.keys}` : '',
    o.clients !== DEFAULT_RUN_OPTIONS.clients ? ` --clients ${o.clients}` : '',
    o.q !== DEFAULT_RUN_OPTIONS.q ? ` --q ${o.q}` : '',
    o.fsyncMs !== undefined ? ` --fsync-ms ${o.fsyncMs[0]},${o.fsyncMs[1]}` : ''
  ].join('')
  return `npm run sim -- --peers ${o.peers} --seed ${seed}${extra}`
}

function traceLogger (trace: (line: string) => void, now: () => number): (id: PeerId) => Logger {
  return (id) => {
    const line = (level: string) => (msg: string, fields?: Record<string, unknown>): void => {
      trace(`t=${Math.round(now())} ${id} ${level} ${msg}${fields === undefined ? '' : ` ${safeJson(fields)}`}`)
    }
    return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
  }
}

function safeJson (x: unknown): string {
  try {
    return JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length}B>` : v))
  } catch {
    return String(x)
  }
}

export async function runSeed (seed: number, partial: Partial<RunOptions> = {}): Promise<RunResult> {
  const options = { ...DEFAULT_RUN_OPTIONS, ...partial }
  // The engine must handle every rejection it causes; one left unhandled is a bug of this run.
  const unhandled: string[] = []
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason))
  }
  process.on('unhandledRejection', onUnhandled)
  let result: RunResult
  try {
    result = await simulate(seed, options)
    await settle() // Node reports a rejection left unhandled one macrotask later
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
  for (const reason of unhandled) result.violations.push({ kind: 'engine-fault', message: `unhandled rejection: ${reason}` })
  return result
}

async function simulate (seed: number, options: RunOptions): Promise<RunResult> {
  const rng = Rng.fromSeed(seed)
  // The trace logger reads the cluster's clock lazily: only once peers start logging.
  const cluster: SimCluster = new SimCluster({
    peers: options.peers,
    rng: rng.fork('cluster'),
    config: {
      q: options.q,
      tombstoneGraceMs: SIM_TOMBSTONE_GRACE_MS,
      ...(options.ringCheckpoints === true ? SIM_RING_CHECKPOINTS : {}),
      ...(options.truncation === undefined ? {} : { truncation: options.truncation })
    },
    clockSkewMs: SIM_CLOCK_SKEW_MS,
    ...(options.rogue ? { authority: SIM_AUTHORITY } : {}),
    ...(options.coldStart === true ? { start: 'cold' as const } : {}),
    ...(options.fsyncMs === undefined ? {} : { fsyncMs: options.fsyncMs }),
    ...(options.trace === undefined ? {} : { trace: options.trace, logger: traceLogger(options.trace, () => cluster.scheduler.now) })
  })
  const violations: Violation[] = []
  if (!(await cluster.start())) violations.push({ kind: 'membership', message: 'membership did not converge at start' })
  const at = (): string => `t=${(cluster.scheduler.now / 1000).toFixed(1)} virtual s`
  options.progress?.(`${options.peers} peers started, ${at()}`)
  const keys = Array.from({ length: options.keys }, (_, i) => keyName(i))
  const rogue = options.rogue
    ? new RoguePeer(cluster.hub, cluster.scheduler, SIM_AUTHORITY, () => cluster.node(0).admission, {
      rng: rng.fork('rogue'),
      keys,
      q: options.q,
      targets: () => cluster.nodes.filter((n) => n.incarnation > 0).map((n) => n.id)
    })
    : undefined
  if (rogue !== undefined) await cluster.scheduler.drive(rogue.start(cluster.nodes.map((n) => n.id)), cluster.settleMs)
  const workload = new Workload(cluster, rng.fork('workload'), {
    ops: options.ops,
    keys: options.keys,
    clients: options.clients,
    faults: options.faults,
    thinkMs: options.thinkMs,
    churn: options.churn,
    initialPeers: options.peers,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
    ...(options.progress === undefined ? {} : { progress: options.progress })
  })
  const stats = await workload.run()
  options.progress?.(`workload done, ${at()}`)
  // The final state must be quiescent: the rogue's requests end with the workload (its gossip goes on).
  rogue?.stopRequests()
  const settled = await settleAndConverge(cluster, { keys, maxRounds: options.maxRounds, n: SIM_N })
  options.progress?.(`healed and converged, ${at()}`)
  if (rogue !== undefined) {
    violations.push(...rogueMembers(cluster))
    rogue.stop()
    const evidence: RogueEvidence = {
      answered: rogue.log.answered,
      observed: rogue.log.observed,
      stored: await cluster.scheduler.drive(storedVersions(cluster), MAINTENANCE_STEP_MS),
      plantedOnDisk: plantedOnDisk(cluster)
    }
    violations.push(...checkRogue(workload.history.ops, settled.snapshots, evidence))
    for (const bug of rogue.log.bugs) violations.push({ kind: 'engine-fault', message: `simulator bug: the rogue threw on ${bug}` })
  }
  const checked = checkHistory(workload.history.ops, settled.snapshots, rogue?.log.writes ?? [], cluster.removedIds())
  options.progress?.('history checked')
  violations.push(...settled.violations, ...checked.violations)
  const gc = await collectAndVerify(cluster, settled.snapshots, { keys, maxRounds: options.maxRounds, n: SIM_N, graceMs: SIM_TOMBSTONE_GRACE_MS, rng: rng.fork('gc') })
  violations.push(...gc.violations)
  for (const fault of cluster.faults) violations.push({ kind: 'engine-fault', message: fault })
  for (const line of cluster.errorLogs) violations.push({ kind: 'engine-fault', message: `error logged: ${line}` })
  const ops = workload.history.ops
  return {
    seed,
    peers: options.peers,
    ops: ops.length,
    acknowledged: ops.filter((op) => op.kind !== 'get' && op.outcome === 'ok').length,
    failed: ops.filter((op) => op.outcome === 'error').length,
    atSiblingCap: ops.filter(refusedAtSiblingCap).length,
    pending: ops.filter((op) => op.outcome === 'pending').length,
    lost: checked.lost,
    truncated: checked.truncated,
    resurrected: checked.resurrected,
    convergenceRounds: settled.rounds,
    tombstonesCollected: gc.collected,
    siblingHistogram: checked.siblingHistogram,
    maxClockEntries: checked.maxClockEntries,
    faultsInjected: stats.faultsInjected,
    faultCounts: stats.faultCounts,
    violations,
    virtualMs: Math.round(cluster.scheduler.now),
    events: cluster.scheduler.eventsFired,
    requests: Object.fromEntries(cluster.hub.stats.requests),
    memberRecords: Object.fromEntries(cluster.hub.stats.memberRecords),
    ...(rogue === undefined ? {} : { rogue: { ...rogue.log.stats, ownValuesHeld: ownValuesHeld(settled.snapshots) } })
  }
}

/** Distinct values of the rogue's own (legitimate client writes) on the final replicas. */
function ownValuesHeld (snapshots: readonly KeySnapshot[]): number {
  const held = new Set<string>()
  for (const snap of snapshots) {
    for (const r of snap.replicas) {
      for (const { sibling } of dottedSiblings(r.clock)) if (isOwnValue(sibling.value)) held.add(`${snap.key}\u0000${new TextDecoder().decode(sibling.value as Uint8Array)}`)
    }
  }
  return held.size
}

/** Every version each running peer stores (owned or not). Reads may wait on locks: drive it. */
async function storedVersions (cluster: SimCluster): Promise<Array<{ peer: PeerId, key: Key, clock: DvvSet }>> {
  const out: Array<{ peer: PeerId, key: Key, clock: DvvSet }> = []
  for (const i of cluster.running()) {
    for await (const [key, clock] of cluster.peer(i).localEntries()) out.push({ peer: cluster.node(i).id, key, clock })
  }
  return out
}

/** Durable records of any peer (running or not) that hold a planted value's bytes. */
function plantedOnDisk (cluster: SimCluster): RogueEvidence['plantedOnDisk'] {
  const out: Array<{ peer: PeerId, namespace: string, key: string }> = []
  for (const node of cluster.nodes) {
    for (const namespace of ['data', 'hints', 'meta'] as const) {
      for (const [key, bytes] of node.disk.namespace(namespace).range()) {
        if (containsPlanted(bytes)) out.push({ peer: node.id, namespace, key })
      }
    }
  }
  return out
}

/** The run's cluster authority in rogue runs (an id, as the simulator's signer signs by id). */
const SIM_AUTHORITY = 'sim-authority'

/** A violation for every running honest peer that took a rogue record as a member, or gave it partitions. */
function rogueMembers (cluster: SimCluster): Violation[] {
  const out: Violation[] = []
  for (const node of cluster.nodes) {
    if (node.state !== 'running') continue
    const status = node.peer.status()
    const rogues = status.members.filter((m) => m.id.startsWith(ROGUE_ID)).map((m) => m.id)
    const owning = status.ring.members.filter((m) => m.id.startsWith(ROGUE_ID) && m.partitions > 0).map((m) => m.id)
    if (rogues.length > 0 || owning.length > 0) {
      out.push({ kind: 'admission', replicas: [node.id], message: `${node.id} took unadmitted peers as members: ${[...new Set([...rogues, ...owning])].slice(0, 5).join(', ')}` })
    }
  }
  return out
}
