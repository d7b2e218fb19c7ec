/**
 * The tombstone-collection phase, run after the main check on the converged cluster: let
 * the grace period pass, maybe crash one replica (a down replica must make its peers keep
 * their tombstones), collect on every live peer, restart, converge again, and verify that
 * collection only ever removed keys that were tombstones everywhere: every key that held a
 * live value holds exactly the same version as before, and nothing deleted came back.
 */
import { clockEqual, isTombstone } from '@ringstore/core'
import type { DvvSet } from '@ringstore/core'
import { describeClock } from './checker.js'
import type { KeySnapshot, Violation } from './checker.js'
import type { SimCluster } from './cluster.js'
import { GRACE_MARGIN_MS, MAINTENANCE_STEP_MS } from './constants.js'
import { converged, snapshot } from './converge.js'
import type { ConvergeOptions } from './converge.js'
import type { Rng } from './rng.js'

export interface GcResult {
  /** Tombstones the peers reported collected. */
  readonly collected: number
  readonly violations: Violation[]
}

export async function collectAndVerify (cluster: SimCluster, before: readonly KeySnapshot[], options: ConvergeOptions & { readonly graceMs: number, readonly rng: Rng }): Promise<GcResult> {
  const s = cluster.scheduler
  const violations: Violation[] = []
  await s.advance(options.graceMs + GRACE_MARGIN_MS)
  const running = cluster.coordinators()
  const victim = options.rng.chance(0.5) && running.length > 3 ? options.rng.pick(running) : undefined
  if (victim !== undefined) cluster.crash(victim)
  const counts = await s.drive(Promise.all(cluster.running().map((i) => cluster.peer(i).collectTombstones())), MAINTENANCE_STEP_MS)
  const collected = counts.reduce((a, b) => a + b, 0)
  if (victim !== undefined) {
    await s.drive(cluster.restart(victim), MAINTENANCE_STEP_MS)
    await cluster.settleMembership(() => true)
  }
  let after = await s.drive(snapshot(cluster, options), MAINTENANCE_STEP_MS)
  for (let round = 0; round < options.maxRounds && !converged(after); round++) {
    await s.drive(Promise.all(cluster.running().map((i) => cluster.peer(i).runAntiEntropyRound())), MAINTENANCE_STEP_MS)
    after = await s.drive(snapshot(cluster, options), MAINTENANCE_STEP_MS)
  }
  if (!converged(after)) violations.push({ kind: 'convergence-bound', message: `after tombstone collection, replicas still differ after ${options.maxRounds} anti-entropy rounds` })
  const previous = new Map(before.map((snap) => [snap.key, snap]))
  for (const snap of after) checkKey(previous.get(snap.key), snap, violations)
  return { collected, violations }
}

/** The version all replicas agreed on before collection (null when absent everywhere). */
function agreed (snap: KeySnapshot | undefined): DvvSet | null {
  return snap?.replicas[0]?.clock ?? null
}

function checkKey (before: KeySnapshot | undefined, after: KeySnapshot, out: Violation[]): void {
  const old = agreed(before)
  for (const replica of after.replicas) {
    const now = replica.clock
    if (old === null ? now === null : now !== null && clockEqual(old, now)) continue
    // The only change collection may make: a key that was all tombstones is gone.
    if (now === null && old !== null && isTombstone(old)) continue
    const resurrected = now !== null && old !== null && isTombstone(old) && !isTombstone(now)
    out.push({
      kind: resurrected ? 'resurrected' : 'gc-changed-data',
      key: after.key,
      replicas: [replica.peer],
      message: `tombstone collection changed ${after.key} on ${replica.peer}: ${describeClock(old)} → ${describeClock(now)}`
    })
  }
}
