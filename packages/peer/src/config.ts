/**
 * Engine configuration: cluster-wide defaults (Q, N, R, W) and the per-peer timings.
 * Defaults suit a LAN cluster of daemons; the simulator and tests shorten the timers.
 */
import { DEFAULT_TRUNCATION, admissionProblem } from '@ringstore/core'
import type { PeerId, SignedAdmission, TruncationBounds } from '@ringstore/core'
import { quorumProblem } from './quorum.js'
import { OWN_RECORD_ANNOUNCE_ROUNDS } from './constants.js'

export interface PeerConfig {
  /** Partitions of the hash space; a power of two, identical on every peer of a cluster. */
  readonly q: number
  /** Replicas per key, reads and writes needed for success (per-request overridable). */
  readonly n: number
  readonly r: number
  readonly w: number
  /** This peer's capacity (0 = light peer: coordinates, owns nothing) and failure zone. */
  readonly weight: number
  readonly zone: string
  /** Addresses to dial on start to join the cluster. */
  readonly seeds: readonly string[]
  /** Replica request timeout: a peer silent this long is routed around. */
  readonly requestTimeoutMs: number
  /** After the quorum answered, how long late replies still feed read repair. */
  readonly readRepairWindowMs: number
  /** Hint delivery: first retry after base, doubling per failure up to max. */
  readonly hintRetryBaseMs: number
  readonly hintRetryMaxMs: number
  /** Hints per delivery request. */
  readonly hintBatch: number
  /**
   * Bytes of hints this peer keeps, for all targets together and for any one target
   * (data/hint-store.ts). A hint that would exceed either is refused (HintQuotaError),
   * never makes room by dropping another.
   */
  readonly hintQuotaBytes: number
  readonly hintQuotaPerTargetBytes: number
  /** A hint kept longer than this is deleted (cluster/hint-expiry.ts); anti-entropy repairs what it carried. */
  readonly hintMaxAgeMs: number
  /** Period of Merkle anti-entropy rounds (0 = only when asked). */
  readonly antiEntropyIntervalMs: number
  /** Live updates, as a watcher: keys one peer may watch (coordinator/watches.ts), and how often it renews its watches. */
  readonly maxWatchedKeys: number
  readonly watchRenewMs: number
  /** Live updates, as a member (cluster/watch-registry.ts): keys per watcher, watchers at once, and a watch's lease. */
  readonly maxWatchKeysPerWatcher: number
  readonly maxWatchers: number
  readonly watchLeaseMs: number
  /**
   * Foreground p99 (ms, over the last second) above which anti-entropy, tombstone GC,
   * hinted handoff and ownership transfer slow down (cluster/background-throttle.ts).
   */
  readonly backgroundYieldAtMs: number
  /**
   * Period of a membership gossip round: one digest exchange with a member drawn at random
   * (cluster/membership.ts). The name stays from when each period re-announced the own record.
   */
  readonly heartbeatIntervalMs: number
  /**
   * Gossip rounds after a change of the own record (start, restart, leave) in which it is
   * announced again: a libp2p gossip mesh forms some tens of ms after a dial, so the first
   * announcement may reach nobody. 0 when announcements reach everyone at once (the simulator).
   */
  readonly announceRepeats: number
  /**
   * 0 (the default): the ring is rebuilt as soon as a record that moves partitions arrives.
   * Above 0: it is rebuilt when next read or this many ms later, so a burst of joins costs
   * one rebuild (the simulator starting a thousand peers at once; cluster/membership.ts).
   */
  readonly ringRebuildDelayMs?: number
  /**
   * Ring checkpoints (docs/design.md, "Checkpoints"; cluster/membership-checkpoints.ts):
   * whether this member proposes checkpoints, so that the members agree on one and drop
   * the records of members that left before it. On by default, so that the table and the
   * ring's fold stop growing with churn; nothing is proposed before checkpointMinDrop
   * members left more than checkpointSettleMs ago. A record that advertises a checkpoint
   * is refused by peers older than checkpoints: a cluster that still runs such peers turns
   * this off until it is upgraded as a whole. Whatever this says, a member takes up a checkpoint another one
   * proposes, and every peer follows one its members agreed on (it cannot compute the ring
   * otherwise once they dropped records).
   */
  readonly ringCheckpoints: boolean
  /** Period of the checkpoint step (propose, take up, adopt, fetch): slow, the cuts are minutes old. */
  readonly checkpointIntervalMs: number
  /** A cut is proposed only this long after its event, by when every member has heard of it. */
  readonly checkpointSettleMs: number
  /** …and only when at least this many records would be dropped there. */
  readonly checkpointMinDrop: number
  /** How often an unreachable peer is probed. */
  readonly probeIntervalMs: number
  /** A tombstone is collected only this long after it was written and once every replica has it. */
  readonly tombstoneGraceMs: number
  /**
   * When a version vector drops value-less entries (core versions-prune.ts `truncate`).
   * Every replica of a cluster must use the same: tests set smaller ones.
   */
  readonly truncation: TruncationBounds
  /**
   * The cluster this peer belongs to: its authority's public key as a peer id
   * (docs/trust.md). When set, a member record counts only with an admission that
   * authority signed; unset, the cluster is open (any peer that announces a weight is a
   * member).
   */
  readonly clusterId?: string
  /** Keys whose conflicts resolve by last-write-wins instead of siblings. */
  readonly lww: (key: string) => boolean
}

export const DEFAULT_CONFIG: PeerConfig = {
  q: 1024,
  n: 3,
  r: 2,
  w: 2,
  weight: 1,
  zone: 'default',
  seeds: [],
  // A silent peer must be routed around within 2 s: one timeout plus margin (README, "Routing around a silent peer").
  requestTimeoutMs: 1000,
  readRepairWindowMs: 1000,
  hintRetryBaseMs: 500,
  hintRetryMaxMs: 30_000,
  hintBatch: 256,
  // A tab watches its cart and a few more: 64 keys is plenty, and what a member holds per
  // watcher; 10,000 watchers × 64 keys bound a member's table (~640k entries). The lease
  // outlives three renewals (10 s, drawn up to 15 s), so one lost renewal costs nothing,
  // and a closed tab is forgotten within 45 s.
  maxWatchedKeys: 64,
  watchRenewMs: 10_000,
  maxWatchKeysPerWatcher: 64,
  maxWatchers: 10_000,
  watchLeaseMs: 45_000,
  // Hints are a buffer for a replica that is down for minutes to hours, not a second copy
  // of the data: every hinted version also stands on the coordinator's replicas and
  // anti-entropy repairs the target from them. 256 MiB in all bounds what peers can park
  // on this disk (a remote peer filling a 30 MB volume with hints killed a daemon, issue
  // 11); a quarter of it per target lets one dead member's backlog never starve the hints
  // for the others (at least 4 targets can be down at once at the full per-target figure).
  hintQuotaBytes: 256 * 1024 * 1024,
  hintQuotaPerTargetBytes: 64 * 1024 * 1024,
  // A week covers a member down over a long weekend plus its repair; a member down longer
  // is brought back by anti-entropy (or removed), and its hints would only hold disk.
  hintMaxAgeMs: 7 * 24 * 60 * 60 * 1000,
  antiEntropyIntervalMs: 10_000,
  // Background work gives way once the foreground's p99 over the last second passes 50 ms:
  // a healthy daemon's put p99 is ~10-20 ms (bench), so this is real trouble, not noise.
  backgroundYieldAtMs: 50,
  heartbeatIntervalMs: 2_000,
  announceRepeats: OWN_RECORD_ANNOUNCE_ROUNDS,
  ringCheckpoints: true,
  checkpointIntervalMs: 60_000,
  // Ten minutes: far past gossip's O(log S) rounds of 2 s, so every member holds the cut's
  // events, and short enough that a day of churn keeps the table near its active members.
  checkpointSettleMs: 10 * 60_000,
  checkpointMinDrop: 16,
  probeIntervalMs: 1_000,
  tombstoneGraceMs: 60 * 60 * 1000,
  // The codec's bound on a version vector: a clock that keeps more could not travel.
  truncation: DEFAULT_TRUNCATION,
  lww: () => false
}

/** Invalid configuration: thrown at construction, never later. */
export class ConfigError extends Error {
  static override name = 'ConfigError'
  override name = 'ConfigError'
}

export function resolveConfig (partial: Partial<PeerConfig> = {}): PeerConfig {
  const config = { ...DEFAULT_CONFIG, ...partial }
  const { q, n, r, w, weight } = config
  if (!Number.isInteger(q) || q < 1 || (q & (q - 1)) !== 0 || q > 2 ** 20) throw new ConfigError(`q must be a power of two ≤ 2^20, got ${q}`)
  const quorum = quorumProblem(n, { r, w })
  if (quorum !== undefined) throw new ConfigError(quorum)
  if (!(weight >= 0) || !Number.isFinite(weight)) throw new ConfigError(`weight must be ≥ 0, got ${weight}`)
  for (const name of ['hintQuotaBytes', 'hintQuotaPerTargetBytes'] as const) {
    if (!Number.isSafeInteger(config[name]) || config[name] < 0) throw new ConfigError(`${name} must be an integer ≥ 0, got ${config[name]}`)
  }
  if (!(config.backgroundYieldAtMs > 0)) throw new ConfigError(`backgroundYieldAtMs must be > 0, got ${config.backgroundYieldAtMs}`)
  if (!Number.isSafeInteger(config.hintMaxAgeMs) || config.hintMaxAgeMs < 1) throw new ConfigError(`hintMaxAgeMs must be an integer ≥ 1, got ${config.hintMaxAgeMs}`)
  for (const name of ['checkpointIntervalMs', 'checkpointSettleMs', 'checkpointMinDrop'] as const) {
    if (!Number.isSafeInteger(config[name]) || config[name] < 1) throw new ConfigError(`${name} must be an integer ≥ 1, got ${config[name]}`)
  }
  return config
}

/**
 * ConfigError unless `admission` lets peer `id` be what `config` makes it: in a cluster
 * that requires admission, a member (weight > 0) needs one for this id, its weight at
 * most the admitted, its zone. (Its signature is the other members' to check.)
 */
export function checkAdmission (config: PeerConfig, id: PeerId, admission: SignedAdmission | undefined): void {
  const cluster = config.clusterId
  if (admission === undefined) {
    if (cluster !== undefined && config.weight > 0) {
      throw new ConfigError(`a member of cluster ${cluster} needs an admission certificate (ringstore admit), or weight 0`)
    }
    return
  }
  if (cluster === undefined) throw new ConfigError('an admission certificate is given but no clusterId')
  const problem = admissionProblem(admission.admission, cluster, { id, weight: config.weight, zone: config.zone, joinedAt: admission.admission.issuedAt })
  if (problem !== undefined) throw new ConfigError(`the admission certificate does not fit this peer: ${problem}`)
}
