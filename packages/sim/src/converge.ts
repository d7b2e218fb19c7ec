/**
 * The checker's settling phase (invariant 2 of docs/design.md, "Invariants": replicas
 * converge): heal every fault, restart every crashed peer, let membership and the failure
 * detectors agree again, deliver the hints, run ownership transfer, then drive anti-entropy
 * rounds until every key's replicas hold structurally equal versions, counting the rounds.
 * Then snapshot the replicas.
 */
import { buildRing, clockEqual, partitionOf, preferenceList } from '@ringstore/core'
import type { Key, Ring } from '@ringstore/core'
import type { KeySnapshot, Violation } from './checker.js'
import type { SimCluster } from './cluster.js'
import { HINT_ROUND_MS, HINT_ROUNDS_MAX, LATE_WORK_MS, MAINTENANCE_STEP_MS } from './constants.js'
import { DEFAULT_CONDITIONS } from './network.js'

export interface ConvergeOptions {
  /** Keys the workload used (keys found on any replica are added). */
  readonly keys: readonly Key[]
  /** Anti-entropy rounds allowed before "did not converge" is a violation. */
  readonly maxRounds: number
  /** N of the workload's writes: replicas per key checked. */
  readonly n: number
}

export interface ConvergeResult {
  readonly rounds: number
  readonly converged: boolean
  readonly snapshots: KeySnapshot[]
  readonly violations: Violation[]
}

export async function settleAndConverge (cluster: SimCluster, options: ConvergeOptions): Promise<ConvergeResult> {
  const violations: Violation[] = []
  const s = cluster.scheduler
  cluster.heal()
  cluster.hub.setConditions(DEFAULT_CONDITIONS)
  for (const index of cluster.crashedNodes()) await s.drive(cluster.restart(index), MAINTENANCE_STEP_MS)
  if (!(await cluster.settleMembership(() => allReachable(cluster)))) {
    violations.push({ kind: 'membership', message: `after heal, membership or reachability did not settle within ${cluster.settleMs} ms: ${describeMembership(cluster)}` })
  }
  for (const node of cluster.nodes) {
    if (node.left && node.state === 'running' && !(await s.drive(cluster.drain(node.index), MAINTENANCE_STEP_MS))) {
      violations.push({ kind: 'stuck', message: `${node.id} left but could not hand off its data after heal: ${node.peer.status().keys} keys, ${node.peer.status().hintsPending} hints` })
    }
  }
  if (!(await deliverAllHints(cluster))) {
    violations.push({ kind: 'stuck', message: `hints still pending after ${HINT_ROUNDS_MAX} delivery rounds with every peer reachable: ${pendingHints(cluster)}` })
  }
  checkRingRebuild(cluster, violations)
  // Let late replies, read repairs and retries in flight finish before we count rounds.
  await s.advance(LATE_WORK_MS)
  await forEachPeer(cluster, (peer) => peer.runTransfer())
  let snapshots = await s.drive(snapshot(cluster, options), MAINTENANCE_STEP_MS)
  let rounds = 0
  while (!converged(snapshots) && rounds < options.maxRounds) {
    rounds++
    await forEachPeer(cluster, (peer) => peer.runAntiEntropyRound())
    snapshots = await s.drive(snapshot(cluster, options), MAINTENANCE_STEP_MS)
  }
  const done = converged(snapshots)
  if (!done) violations.push({ kind: 'convergence-bound', message: `replicas still differ after ${options.maxRounds} anti-entropy rounds` })
  return { rounds, converged: done, snapshots, violations }
}

/** Run one maintenance call on every running peer at once, driving time until all finish. */
async function forEachPeer<T> (cluster: SimCluster, fn: (peer: ReturnType<SimCluster['peer']>) => Promise<T>): Promise<T[]> {
  const calls = cluster.running().map((i) => fn(cluster.peer(i)))
  return await cluster.scheduler.drive(Promise.all(calls), MAINTENANCE_STEP_MS)
}

function allReachable (cluster: SimCluster): boolean {
  return cluster.running().every((i) => cluster.peer(i).unreachableMembers().length === 0)
}

function describeMembership (cluster: SimCluster): string {
  return cluster.running().map((i) => {
    const status = cluster.peer(i).status()
    return `p${i} sees [${status.members.map((m) => `${m.id}${m.status === 'active' ? '' : `(${m.status})`}${m.reachable ? '' : '!'}`).join(' ')}]`
  }).join('; ')
}

function totalHints (cluster: SimCluster): number {
  return cluster.running().reduce((sum, i) => sum + cluster.peer(i).status().hintsPending, 0)
}

/** Who holds hints for whom (read from the durable disks), e.g. `p1→p3(left)×2`. */
function pendingHints (cluster: SimCluster): string {
  const byId = new Map(cluster.nodes.map((n) => [n.id, n]))
  const out: string[] = []
  for (const i of cluster.running()) {
    const counts = new Map<string, number>()
    for (const [storageKey] of cluster.node(i).disk.namespace('hints').range()) {
      // The hint store keys hints as `${target}\u0000…` (peer/src/data/storage-keys.ts).
      const target = storageKey.split('\u0000')[0] ?? '?'
      counts.set(target, (counts.get(target) ?? 0) + 1)
    }
    for (const [target, n] of counts) {
      const node = byId.get(target)
      const state = node === undefined ? 'unknown' : node.left ? 'left' : node.state
      out.push(`${cluster.node(i).id}→${target}(${state})×${n}`)
    }
  }
  return out.join(' ')
}

async function deliverAllHints (cluster: SimCluster): Promise<boolean> {
  for (let round = 0; round < HINT_ROUNDS_MAX; round++) {
    if (totalHints(cluster) === 0) return true
    await forEachPeer(cluster, (peer) => peer.deliverHints())
    await cluster.scheduler.advance(HINT_ROUND_MS)
  }
  return totalHints(cluster) === 0
}

/** The ring every peer routes by once membership converged (any running peer will do). */
function finalRing (cluster: SimCluster): Ring {
  const [first] = cluster.running()
  if (first === undefined) throw new RangeError('no running peer to read the ring from')
  return cluster.peer(first).ring()
}

/**
 * The engine maintains its ring incrementally as records arrive; rebuilding it from the
 * final member table in one go must give the same assignment (core's promise: the ring is
 * a function of the records, whatever order they came in).
 */
function checkRingRebuild (cluster: SimCluster, out: Violation[]): void {
  // One rebuild per distinct member table (after the settle, usually one for all peers).
  const rebuilds = new Map<string, Ring>()
  for (const i of cluster.running()) {
    const peer = cluster.peer(i)
    const ring = peer.ring()
    // A peer whose members agreed on a ring checkpoint folds from it (and dropped the records it stands for).
    const checkpoint = peer.ringCheckpoint()
    const table = `${Buffer.from(peer.membershipDigest()).toString('base64')}:${checkpoint?.cut ?? ''}`
    const rebuilt = rebuilds.get(table) ?? buildRing(peer.status().members, ring.q, checkpoint)
    rebuilds.set(table, rebuilt)
    const differ = ring.owners.findIndex((owner, p) => owner !== rebuilt.owners[p])
    if (differ !== -1) {
      out.push({ kind: 'membership', replicas: [peer.status().peerId], message: `p${i}'s ring differs from the ring rebuilt from its member table at partition ${differ}: ${ring.owners[differ]} vs ${rebuilt.owners[differ]}` })
      return
    }
  }
}

/**
 * Every key's replicas (its preference list under the final ring) with their local versions.
 * Reads may wait on the replica store's locks: drive it with `scheduler.drive`.
 */
export async function snapshot (cluster: SimCluster, options: ConvergeOptions): Promise<KeySnapshot[]> {
  const ring = finalRing(cluster)
  const keys = new Set(options.keys)
  for (const i of cluster.running()) {
    const entries = cluster.peer(i).localEntries()
    for await (const [key] of entries) keys.add(key)
  }
  const out: KeySnapshot[] = []
  for (const key of [...keys].sort()) {
    const replicas = preferenceList(ring, partitionOf(key, ring.q), options.n)
    const byId = new Map(cluster.nodes.map((n) => [n.id, n]))
    const states = await Promise.all(replicas.map(async (peer) => {
      const node = byId.get(peer)
      const clock = node === undefined || node.state !== 'running' ? null : await node.peer.localGet(key)
      return { peer, clock }
    }))
    out.push({ key, replicas: states })
  }
  return out
}

export function converged (snapshots: readonly KeySnapshot[]): boolean {
  return snapshots.every((snap) => {
    const [first, ...rest] = snap.replicas
    return first === undefined || rest.every((r) => first.clock === null || r.clock === null ? first.clock === r.clock : clockEqual(first.clock, r.clock))
  })
}
