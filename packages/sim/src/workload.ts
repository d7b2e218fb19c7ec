/**
 * A random client workload with a random fault schedule, both from the seed.
 *
 * Clients are sequential sessions (one operation in flight each) against random live
 * coordinators, over a small key space so that writes conflict. A session remembers the
 * context of its last read or write of each key and usually writes with it; sometimes it
 * writes blind. W is random (1..N, W=1 often enough to test "always writeable").
 * Meanwhile the fault loop partitions (symmetric groups, one peer isolated, or one
 * direction of one link cut), heals, crashes and restarts peers, and changes loss,
 * duplication and latency; with churn, peers also join and leave.
 */
import type { Key, VersionVector } from '@ringstore/core'
import type { SimCluster } from './cluster.js'
import {
  DEFAULT_OP_TIMEOUT_MS, FAULT_LOOP_END_MS, MAX_JOINS, MAX_WORKLOAD_MS, WORKLOAD_MS_PER_OP, MIN_MEMBERS, SEED_PEERS, SIM_N, WORKLOAD_THINK_MS
} from './constants.js'
import { History, valueFor, writerOf } from './history.js'
import type { OpKind, OpRecord } from './history.js'
import type { NetworkConditions } from './network.js'
import type { Rng } from './rng.js'
import type { EventHandle } from './scheduler.js'

export type FaultLevel = 'none' | 'light' | 'heavy'

export interface WorkloadOptions {
  /** Operations issued in total, across all clients. */
  readonly ops: number
  /** Size of the key space: small, so that concurrent writes meet. */
  readonly keys: number
  readonly clients: number
  readonly faults: FaultLevel
  /** Mean think time between a client's operations, virtual ms. */
  readonly thinkMs?: number
  /** An operation still unanswered after this long, with its coordinator alive, is a bug. */
  readonly opTimeoutMs?: number
  /** Let peers join and leave during the run (heavy faults only). */
  readonly churn?: boolean
  /** Cluster size before any join (bounds the joins). */
  readonly initialPeers?: number
  /** Trace each operation (for --verbose). */
  readonly trace?: (line: string) => void
  /** A line every WORKLOAD_PROGRESS_OPS operations issued (long runs: the CLI's progress). */
  readonly progress?: (line: string) => void
}

/** Operations between two progress lines of a workload. */
const WORKLOAD_PROGRESS_OPS = 1_000

export interface WorkloadStats {
  /** Fault actions the schedule drew (some are no-ops, e.g. a crash when too many are down). */
  readonly faultsInjected: number
  /** Cluster events during the workload by kind: crash, restart, partition, loss, … */
  readonly faultCounts: Record<string, number>
  readonly hungOps: number
}

/**
 * The workload's keys. Every other one is a capability key (core's key-rights.ts), the only
 * kind a client (the rogue's client-surface writes) may write: so those forgeries reach
 * clientContribution on real data, and the rest are refused by the key rights.
 */
export function keyName (i: number): Key {
  return i % 2 === 1 ? `cap/sim-capability-key-${String(i).padStart(4, '0')}` : `k${i}`
}

/** W (and R) values with their weights: W=1 often enough to exercise "always writeable". */
const QUORUM_WEIGHTS: ReadonlyArray<readonly [number, number]> = [[1, 0.3], [2, 0.5], [3, 0.2]]

/**
 * N per request: mostly the cluster default (3, left implicit), sometimes explicit, and
 * sometimes 2 (fewer replicas for this write; anti-entropy still spreads it to the
 * default N). R and W are then drawn within 1..N.
 */
function chooseN (rng: Rng): number | undefined {
  const x = rng.float()
  return x < 0.75 ? undefined : x < 0.9 ? 3 : 2
}

function quorum (rng: Rng, n: number | undefined): number {
  return Math.min(weighted(rng, QUORUM_WEIGHTS), n ?? SIM_N)
}

function weighted (rng: Rng, table: ReadonlyArray<readonly [number, number]>): number {
  let x = rng.float()
  for (const [value, weight] of table) {
    if (x < weight) return value
    x -= weight
  }
  return (table[table.length - 1] as readonly [number, number])[0]
}

export class Workload {
  readonly history = new History()
  private issued = 0
  private clientsDone = 0
  /** The workload ran past its bound (a liveness bug, reported): the fault loop stops. */
  private gaveUp = false
  private faultsInjected = 0
  private hungOps = 0
  private readonly thinkMs: number
  private readonly opTimeoutMs: number

  constructor (private readonly cluster: SimCluster, private readonly rng: Rng, private readonly options: WorkloadOptions) {
    this.thinkMs = options.thinkMs ?? WORKLOAD_THINK_MS
    this.opTimeoutMs = options.opTimeoutMs ?? DEFAULT_OP_TIMEOUT_MS
  }

  /** Run every client to completion (and the fault loop meanwhile), driving virtual time. */
  async run (): Promise<WorkloadStats> {
    for (let c = 0; c < this.options.clients; c++) {
      this.client(c).catch((error: unknown) => this.cluster.fault(`simulator bug: client ${c} threw`, error))
    }
    const faults = this.faultLoop(this.rng.fork('faults'))
    // A bound, not a wait: each client's share of the operations, at most WORKLOAD_MS_PER_OP
    // each (a thousand-peer run's operations take ~250 virtual ms, think time included).
    const bound = Math.max(MAX_WORKLOAD_MS, Math.ceil(this.options.ops / this.options.clients) * WORKLOAD_MS_PER_OP)
    const finished = await this.cluster.scheduler.runUntil(() => this.clientsDone === this.options.clients, bound)
    if (!finished) {
      this.cluster.fault(`workload did not finish within ${bound} virtual ms`)
      this.gaveUp = true // the fault loop ends with the clients, which will not end now
    }
    await this.cluster.scheduler.drive(faults, FAULT_LOOP_END_MS)
    return { faultsInjected: this.faultsInjected, faultCounts: { ...this.cluster.eventCounts }, hungOps: this.hungOps }
  }

  private sleep (ms: number): Promise<void> {
    return new Promise((resolve) => this.cluster.scheduler.schedule(ms, resolve))
  }

  private async client (c: number): Promise<void> {
    const rng = this.rng.fork(`client/${c}`)
    const session = new Map<Key, VersionVector>()
    try {
      while (this.issued < this.options.ops) {
        this.issued++
        if (this.issued % WORKLOAD_PROGRESS_OPS === 0) this.options.progress?.(`ops ${this.issued}/${this.options.ops} issued at t=${(this.cluster.scheduler.now / 1000).toFixed(1)} virtual s`)
        await this.sleep(rng.exponential(this.thinkMs))
        const coordinators = this.cluster.coordinators()
        if (coordinators.length === 0) continue
        await this.perform(rng, c, rng.pick(coordinators), session)
      }
    } finally {
      this.clientsDone++
    }
  }

  private chooseKind (rng: Rng, key: Key, session: Map<Key, VersionVector>): OpKind {
    const x = rng.float()
    if (x < 0.35) return 'get'
    if (x < 0.85) return 'put'
    return session.has(key) ? 'delete' : 'get'
  }

  private async perform (rng: Rng, client: number, index: number, session: Map<Key, VersionVector>): Promise<void> {
    const node = this.cluster.node(index)
    const { peer, crashed } = node
    const key = keyName(rng.int(0, this.options.keys - 1))
    const kind = this.chooseKind(rng, key, session)
    const now = this.cluster.scheduler.now
    const known = session.get(key)
    const base = { key, client, coordinator: node.id, invokedAt: now }
    let record: OpRecord
    let call: Promise<void>
    const n = chooseN(rng)
    if (kind === 'get') {
      const r = quorum(rng, n)
      record = this.history.invoke({ ...base, kind, r, ...(n === undefined ? {} : { n }) })
      call = peer.get(key, n === undefined ? { r } : { r, n }).then((result) => {
        session.set(key, result.context)
        this.history.succeed(record, this.cluster.scheduler.now, {
          context: result.context,
          readValues: result.values.map(writerOf),
          readUnknown: result.values.filter((value) => writerOf(value) === undefined)
        })
      })
    } else {
      const w = quorum(rng, n)
      const context = kind === 'delete' || (known !== undefined && rng.chance(0.75)) ? known : undefined
      const options = { w, ...(n === undefined ? {} : { n }), ...(context === undefined ? {} : { context }) }
      if (kind === 'put') {
        const value = valueFor(this.history.nextId())
        record = this.history.invoke({ ...base, kind, context, value, w, ...(n === undefined ? {} : { n }) })
        call = peer.put(key, value, options).then((result) => this.wrote(record, session, result))
      } else {
        record = this.history.invoke({ ...base, kind, context, w, ...(n === undefined ? {} : { n }) })
        call = peer.delete(key, options).then((result) => this.wrote(record, session, result))
      }
    }
    const answered = call.catch((error: unknown) => {
      this.history.fail(record, this.cluster.scheduler.now, error)
      // A coordinator that announced its leave while the op was in flight may refuse to keep
      // data: invariant 4 (always writeable) is about members, not departing peers.
      if (node.left) record.coordinatorLeft = true
    })
    let timer: EventHandle | undefined
    const watchdog = new Promise<'hung'>((resolve) => { timer = this.cluster.scheduler.schedule(this.opTimeoutMs, () => resolve('hung')) })
    const outcome = await Promise.race([answered.then(() => 'done' as const), crashed.then(() => 'crashed' as const), watchdog])
    if (timer !== undefined) this.cluster.scheduler.cancel(timer)
    if (outcome === 'hung') {
      this.hungOps++
      this.cluster.fault(`${kind} #${record.id} of ${key} at ${node.id} unanswered after ${this.opTimeoutMs} ms`)
    }
    this.options.trace?.(`t=${Math.round(now)} c${client} ${kind} #${record.id} ${key} @${node.id} → ${record.outcome}${record.error ? ` ${record.error}` : ''}${record.dot ? ` ${record.dot.join(':')}` : ''}`)
  }

  private wrote (record: OpRecord, session: Map<Key, VersionVector>, result: { context: VersionVector, dot: readonly [string, number], acks: number }): void {
    session.set(record.key, result.context)
    this.history.succeed(record, this.cluster.scheduler.now, { dot: result.dot, context: result.context, acks: result.acks })
  }

  private async faultLoop (rng: Rng): Promise<void> {
    const level = this.options.faults
    if (level === 'none') return
    const [minGap, maxGap] = level === 'heavy' ? [30, 200] : [150, 600]
    while (this.clientsDone < this.options.clients && !this.gaveUp) {
      await this.sleep(rng.int(minGap, maxGap))
      if (this.clientsDone >= this.options.clients || this.gaveUp) return
      this.faultsInjected++
      if (level === 'heavy') this.heavyFault(rng)
      else this.lightFault(rng)
    }
  }

  /** Members (not left): the peers that count for "a majority stays up". */
  private members (): number[] {
    return this.cluster.nodes.filter((n) => !n.left && n.incarnation > 0).map((n) => n.index)
  }

  /** At most this many members down at once: a majority of the cluster stays up. */
  private maxCrashed (): number {
    return Math.max(1, Math.floor((this.members().length - 1) / 2))
  }

  private crashSome (rng: Rng, restartWithinMs: number): void {
    const candidates = this.cluster.coordinators()
    if (this.cluster.crashedNodes().length >= this.maxCrashed() || candidates.length <= 1) return
    const victim = rng.pick(candidates)
    this.cluster.crash(victim)
    // Most crashed peers come back during the run; the others at the checker's heal.
    if (rng.chance(0.8)) {
      this.cluster.scheduler.schedule(rng.int(50, restartWithinMs), () => {
        this.cluster.restart(victim).catch((error: unknown) => this.cluster.fault(`restart of p${victim} failed`, error))
      })
    }
  }

  /**
   * Membership churn: a new peer joins, or a member leaves (keeping N+1 members and the
   * seeds), or, in an admitted cluster, the operator removes a crashed member (once per
   * run: each removal may take with it what only that member held, see SimCluster.remove).
   */
  private churn (rng: Rng): void {
    const initial = this.options.initialPeers ?? this.cluster.nodes.length
    // The rng is drawn only when a removal is possible: runs of an open cluster keep the
    // very schedules (and seeds) they had before removals existed.
    const dead = this.cluster.canRemove() ? this.cluster.crashedNodes().filter((i) => i >= SEED_PEERS && !this.cluster.node(i).left) : []
    const by = this.cluster.coordinators()
    if (dead.length > 0 && by.length > 0 && this.members().length > MIN_MEMBERS && rng.chance(0.5)) {
      const index = rng.pick(dead)
      this.cluster.remove(index, rng.pick(by)).catch((error: unknown) => this.cluster.fault(`removal of p${index} failed`, error))
      return
    }
    if (rng.chance(0.5)) {
      if (this.cluster.nodes.length >= initial + MAX_JOINS) return
      this.cluster.join().catch((error: unknown) => this.cluster.fault('join failed', error))
      return
    }
    const leavable = this.cluster.coordinators().filter((i) => i >= SEED_PEERS)
    if (this.members().length <= MIN_MEMBERS || leavable.length === 0) return
    const index = rng.pick(leavable)
    this.cluster.leave(index).catch((error: unknown) => this.cluster.fault(`leave of p${index} failed`, error))
  }

  private randomGroups (rng: Rng): number[][] {
    const ids = rng.shuffle(this.cluster.nodes.map((n) => n.index))
    const groups = rng.int(2, 3)
    const out: number[][] = Array.from({ length: groups }, () => [])
    ids.forEach((id, i) => (out[i < groups ? i : rng.int(0, groups - 1)] as number[]).push(id))
    return out
  }

  private lightFault (rng: Rng): void {
    const x = rng.float()
    if (x < 0.3) this.cluster.partition(this.randomGroups(rng))
    else if (x < 0.6) this.cluster.heal()
    else if (x < 0.8) this.crashSome(rng, 800)
    else this.setConditions('loss', { lossProbability: rng.pick([0, 0.01]) })
  }

  private setConditions (kind: string, conditions: Partial<NetworkConditions>): void {
    this.cluster.hub.setConditions(conditions)
    this.cluster.note(kind, `network ${JSON.stringify(conditions)}`)
  }

  private heavyFault (rng: Rng): void {
    const x = rng.float()
    if (x < 0.2) this.cluster.partition(this.randomGroups(rng))
    else if (x < 0.27) this.cluster.isolate(rng.pick(this.cluster.nodes).index)
    else if (x < 0.3) {
      const [from, to] = rng.shuffle(this.cluster.nodes.map((n) => n.index))
      this.cluster.cutOneWay(from as number, to as number)
    } else if (x < 0.45) this.cluster.heal()
    else if (x < 0.62) this.crashSome(rng, 1500)
    else if (x < 0.72) {
      const down = this.cluster.crashedNodes()
      if (down.length > 0) {
        const index = rng.pick(down)
        this.cluster.restart(index).catch((error: unknown) => this.cluster.fault(`restart of p${index} failed`, error))
      }
    } else if (x < 0.8) this.setConditions('loss', { lossProbability: rng.pick([0, 0, 0.02, 0.1, 0.3]) })
    else if (x < 0.88) {
      const spike = rng.pick([1, 1, 20, 80, 150])
      this.setConditions('latency', { latencyBaseMs: spike, latencyJitterMs: Math.max(2, spike / 4) })
    } else if (x < 0.93) this.setConditions('duplicate', { duplicateProbability: rng.pick([0, 0.05, 0.2]) })
    else if (this.options.churn === true) this.churn(rng)
  }
}
