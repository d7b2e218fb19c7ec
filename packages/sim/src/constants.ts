/**
 * The simulator's fixed numbers, each with where it comes from. All times are virtual
 * milliseconds. The engine timings of a simulated peer are SIM_PEER_CONFIG (cluster.ts),
 * the network's default conditions DEFAULT_CONDITIONS (network.ts) and the defaults of a
 * run DEFAULT_RUN_OPTIONS (run.ts): configuration, kept with the types they fill. The
 * workload's operation mix and fault schedule (workload.ts) are the definition of what a
 * seed does and stay with the code that draws them.
 */

// ── Virtual time (clock.ts, scheduler.ts) ────────────────────────────────────────────

/**
 * Wall-clock time at virtual 0: a realistic epoch (2023-11-14) so that anything the engine
 * derives from wall time (record `joinedAt`, sibling `ts`) looks like production data.
 */
export const SIM_EPOCH_MS = 1_700_000_000_000

/** Upper bound on events in one `runUntilIdle`: a run that never idles is a bug, not a wait. */
export const MAX_IDLE_EVENTS = 10_000_000

/**
 * Scheduler callbacks (one event each) queued per real event-loop turn: Node runs them all
 * in one turn, draining microtasks between any two, so a run pays a loop turn (and its poll)
 * per this many events instead of per event. Callbacks after a run stopped do nothing.
 */
export const IMMEDIATES_PER_TURN = 256

// ── The simulated cluster (cluster.ts, network.ts, storage.ts) ──────────────────────

/**
 * Replicas per key in the simulated cluster (SIM_PEER_CONFIG.n): the engine's default N,
 * and what the checker compares per key after a run.
 */
export const SIM_N = 3

/**
 * Up to this many peers the simulated network is a full mesh (every pair of running,
 * reachable peers connected, as the small clusters the seeds were tuned on); beyond it,
 * connections open on demand (lazy mesh, network.ts), as a libp2p node's do.
 */
export const FULL_MESH_MAX_PEERS = 40

/**
 * Partitions of the convergence report's clusters (convergence.ts): membership does not
 * depend on Q, and a small ring keeps each peer's ring rebuild cheap at 1,000 peers.
 */
export const CONVERGENCE_Q = 64

// ── Client sessions (client-sessions.ts) ──────────────────────────────────────────────

/** Members of a --client-sessions run without --peers (issue 12's figure: 20). */
export const CLIENT_SESSION_MEMBERS = 20

/** Sessions after which the first measurement of a --client-sessions run is taken. */
export const CLIENT_SESSION_WARMUP = 200

/** Sessions open at once: a shop's visitors overlap; each does one write and one read. */
export const CLIENT_SESSIONS_AT_ONCE = 50

/** Keys the sessions write (carts): few, so that every key gathers many writers. */
export const CLIENT_SESSION_KEYS = 64

/** How long a session waits for the members' view before it writes nothing (counted): ten request timeouts of the sim config. */
export const CLIENT_SESSION_VIEW_WAIT_MS = 2_000

/**
 * Past FULL_MESH_MAX_PEERS, a peer's ring lags its member table by at most this long
 * (PeerConfig.ringRebuildDelayMs; any read of the ring rebuilds it first): one
 * sequential join's start takes a few virtual ms, so a cluster starting coalesces tens of
 * joins per rebuild.
 */
export const RING_REBUILD_DELAY_MS = 100

/**
 * Rings a cluster's SharedRings keeps (by table): the distinct tables its peers hold at one
 * time, a few per join or leave under way; a ring evicted is folded again when asked for.
 */
export const SHARED_RINGS_KEPT = 256

/** Past FULL_MESH_MAX_PEERS, how often waits for membership to settle check it (cluster.ts settleMembership). */
export const MEMBERSHIP_POLL_MS = 50

/** Peers p0 and p1 are the seeds every other peer joins through; churn never makes them leave. */
export const SEED_PEERS = 2

/**
 * A warm start (warm-start.ts) is the default past this many peers: each one joining
 * through the seeds costs the cluster size in records pulled and announced, S² in all (75 of
 * a thousand-peer run's 100 CPU-seconds). Up to it, a cold start costs at most 1,600 records,
 * and the small clusters' seeds were tuned on join-by-join starts: they keep them.
 */
export const WARM_START_MIN_PEERS = FULL_MESH_MAX_PEERS + 1

/**
 * A warm-started cluster formed this long before the run's epoch (SIM_EPOCH_MS), its
 * members joining 1 ms apart in index order: every join is in the past on every peer's
 * clock, whatever its skew (SIM_CLOCK_SKEW_MS).
 */
export const WARM_START_FORMED_MS = 60_000

/**
 * A warm start brings up this many peers at once, wave after wave (a whole cluster
 * restarting): a thousand are up within a few hundred virtual ms, before anyone's first
 * gossip round or probe would find members still down (started one by one they took 20
 * virtual s, and the failure detectors backed off from the peers not yet up for tens of
 * seconds more), while the restart announcements in flight stay a wave times the cluster
 * (a thousand at once queued 870,000 events).
 */
export const WARM_START_WAVE = 50

/** SSD-like fsync latency range of every disk: long enough that crashes regularly catch writes in flight. */
export const DEFAULT_FSYNC_MS: readonly [min: number, max: number] = [0.2, 5]

/** fsync latency of a SimStorage built without a latency function (its own tests): inside DEFAULT_FSYNC_MS. */
export const DEFAULT_STORAGE_FSYNC_MS = 0.5

/**
 * A connection to a dead peer is refused after this long: the one-way base latency of
 * DEFAULT_CONDITIONS, as a refusal comes back about as fast as any reply.
 */
export const DEFAULT_REFUSED_DELAY_MS = 1

/**
 * A dial across a partition gives up after this long: far beyond any simulated round trip
 * (a few ms; 150 ms one way plus jitter under the workload's largest latency spike), so only a cut
 * path runs into it.
 */
export const DEFAULT_DIAL_TIMEOUT_MS = 500

/** A draining peer retries its hand-off this often: one request timeout of SIM_PEER_CONFIG (200 ms). */
export const DRAIN_RETRY_MS = 200

/**
 * A leave (or a later drain) reports failure when the hand-off has not finished after this
 * long (a partition); the peer then stays up, draining.
 */
export const HAND_OFF_MAX_MS = 30_000

// ── A run (run.ts, workload.ts) ──────────────────────────────────────────────────────

/**
 * Tombstone grace in the simulator: longer than any workload (so nothing is collected
 * before the check) and short enough that the collection phase costs little virtual time.
 * Collection only runs when the checker asks (anti-entropy interval 0).
 */
export const SIM_TOMBSTONE_GRACE_MS = 10_000

/**
 * Ring checkpoints at the simulator's pace (--ring-checkpoints): a step each second, a cut
 * 3 s old (gossip rounds are 500 ms), one dropped record is enough, so that a run of some
 * virtual seconds with --churn agrees on several while faults go on.
 */
export const SIM_RING_CHECKPOINTS = { ringCheckpoints: true, checkpointIntervalMs: 1_000, checkpointSettleMs: 3_000, checkpointMinDrop: 1 } as const

/**
 * Largest wall-clock skew of a simulated peer (each draws its own in ±25 ms): enough that
 * wall-clock stamps of different peers (sibling `ts`, `joinedAt`) disagree with the order
 * of events, which the engine must never rely on for causality.
 */
export const SIM_CLOCK_SKEW_MS = 25

/** Mean think time of a Workload built without one (runSeed always passes RunOptions.thinkMs, 50 by default). */
export const WORKLOAD_THINK_MS = 15

/** 30 s: ~150 request timeouts of the sim config; no healthy operation waits that long. */
export const DEFAULT_OP_TIMEOUT_MS = 30_000

/** The workload gives up waiting after this much virtual time (a bound, not a wait)... */
export const MAX_WORKLOAD_MS = 600_000

/** ...or after this much per operation of one client, when longer (long runs of big clusters). */
export const WORKLOAD_MS_PER_OP = 1_000

/**
 * Once the clients are done, the fault loop ends at its next wake-up, at most one gap
 * later (600 ms with light faults): a bound, not a wait.
 */
export const FAULT_LOOP_END_MS = 10_000

/** Churn bounds: at most this many joins per run. */
export const MAX_JOINS = 2

/** Churn bounds: never fewer members than N + 1, so that a leave always leaves N replicas and one to spare. */
export const MIN_MEMBERS = SIM_N + 1

// ── Settling and checking (converge.ts, gc.ts) ───────────────────────────────────────

/**
 * Membership settles within this many heartbeat periods, at start (cluster.ts) and after a
 * heal or a restart (converge.ts, gc.ts). Running out is a liveness bug.
 */
export const MEMBERSHIP_SETTLE_ROUNDS = 40

/** The sim config's heartbeat (cluster.ts SIM_PEER_CONFIG), virtual ms. */
export const SIM_HEARTBEAT_MS = 500

/** MEMBERSHIP_SETTLE_ROUNDS of the sim config's heartbeat, for the small clusters' fixed waits. */
export const MEMBERSHIP_SETTLE_MS = MEMBERSHIP_SETTLE_ROUNDS * SIM_HEARTBEAT_MS

/**
 * Past FULL_MESH_MAX_PEERS, gossip rounds and probes at the daemon's pace (DEFAULT_CONFIG:
 * a round every 2 s, probes every 1 s), not the sim config's 500 and 200 ms, which compress
 * a small cluster's timeline into a few virtual seconds: each peer's background traffic is
 * one exchange per round whatever the size, so at a thousand peers the compressed pace made
 * it four times the cluster's foreground work and the run's main cost.
 */
export const BIG_CLUSTER_TIMINGS = { heartbeatIntervalMs: 2_000, probeIntervalMs: 1_000 } as const

/**
 * Bound on each driven maintenance step (a restart, a hand-off, a transfer or
 * anti-entropy round on every peer, a snapshot, a tombstone collection): a step that takes
 * longer is a liveness bug.
 */
export const MAINTENANCE_STEP_MS = 60_000

/** Hint delivery after a heal: at most this many rounds... */
export const HINT_ROUNDS_MAX = 30

/** ...this far apart (one request timeout of the sim config): 6 s in all. */
export const HINT_ROUND_MS = 200

/**
 * Before counting anti-entropy rounds, late replies, read repairs and retries in flight get
 * this long to finish: ten request timeouts of the sim config.
 */
export const LATE_WORK_MS = 2_000

/**
 * The collection phase lets the tombstone grace pass plus this margin, so that every
 * tombstone of the run is past its grace on every peer's clock (skewed by up to ±25 ms).
 */
export const GRACE_MARGIN_MS = 1_000

// ── Command line and reports (cli.ts, summary.ts) ────────────────────────────────────

/** `npm run sim` without --seeds runs this many seeds... */
export const DEFAULT_SEEDS = 100

/** ...starting at this one (--from). */
export const DEFAULT_FIRST_SEED = 1

/** Progress goes to stderr every this many seeds, so long runs show they are alive. */
export const PROGRESS_EVERY = 50

/** Violations a failing seed's report lists; the rest are counted ("… N more"). */
export const FAILURE_VIOLATIONS_SHOWN = 10
