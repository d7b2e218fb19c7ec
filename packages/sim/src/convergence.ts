/**
 * Membership convergence in gossip rounds (`npm run sim -- --converge 10,100,1000`): how
 * many rounds (PeerConfig.heartbeatIntervalMs: each peer makes one digest exchange with a
 * member drawn at random per round, peer's cluster/membership.ts) until every peer holds the
 * same member table after a join, and after a leave. Announcements are muted for the
 * measured change, so the figure is the epidemic's alone (with them, every reachable peer
 * hears of a change at once): the newcomer is known only to the seed it connected to (which
 * pulls it on connect), the leaver's 'left' record only to itself. Push-pull gossip with
 * one partner per round spreads a change to S peers in about log2 S + ln ln S rounds
 * (Karp et al. 2000); the aim is 2·log2 S.
 */
import { SimCluster } from './cluster.js'
import { CONVERGENCE_Q, MEMBERSHIP_SETTLE_MS } from './constants.js'
import { Rng } from './rng.js'

export interface ConvergenceFigure {
  readonly peers: number
  readonly change: 'join' | 'leave'
  /** Gossip rounds from the change until every running peer held the same table; undefined when it did not within the bound. */
  readonly rounds: number | undefined
  /** 2·log2 S. */
  readonly aim: number
}

/** Checks per round: the resolution of the measured figure. */
const CHECKS_PER_ROUND = 10

/** Rounds allowed before a change counts as not converged: far beyond the aim at any size measured. */
const MAX_ROUNDS = 200

/** A cluster of `peers`, then one join and one leave, each measured in gossip rounds. */
export async function measureConvergence (peers: number, seed: number): Promise<ConvergenceFigure[]> {
  const cluster = new SimCluster({ peers, rng: Rng.fromSeed(seed).fork('converge'), config: { q: CONVERGENCE_Q }, network: { mesh: 'lazy' } })
  if (!(await cluster.start(MEMBERSHIP_SETTLE_MS * 10))) throw new Error(`membership of ${peers} peers did not converge at start`)
  const round = cluster.roundMs
  const aim = 2 * Math.log2(peers)
  const out: ConvergenceFigure[] = []
  cluster.hub.muteAnnouncements(true)
  const joined = cluster.scheduler.now
  await cluster.scheduler.drive(cluster.join(), MEMBERSHIP_SETTLE_MS)
  out.push({ peers, change: 'join', rounds: await roundsUntilConverged(cluster, joined, round), aim })
  const leaver = cluster.nodes.length - 2
  const left = cluster.scheduler.now
  const leave = cluster.leave(leaver)
  out.push({ peers, change: 'leave', rounds: await roundsUntilConverged(cluster, left, round), aim })
  await cluster.scheduler.drive(leave, MEMBERSHIP_SETTLE_MS)
  return out
}

async function roundsUntilConverged (cluster: SimCluster, since: number, round: number): Promise<number | undefined> {
  const ok = await cluster.scheduler.pollUntil(() => cluster.membershipConverged(), round * MAX_ROUNDS, round / CHECKS_PER_ROUND)
  return ok ? Math.ceil((cluster.scheduler.now - since) / round - 1e-9) : undefined
}

/** The report's lines. */
export function formatConvergence (figures: readonly ConvergenceFigure[]): string {
  const lines = ['membership convergence in gossip rounds (announcements muted: the epidemic alone)', 'peers  change  rounds  aim 2·log2 S']
  for (const f of figures) {
    lines.push(`${String(f.peers).padStart(5)}  ${f.change.padEnd(6)}  ${(f.rounds === undefined ? '—' : String(f.rounds)).padStart(6)}  ${f.aim.toFixed(1).padStart(12)}`)
  }
  return lines.join('\n')
}
