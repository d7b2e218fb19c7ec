/**
 * The engine's fixed numbers, each with where it comes from. Per-cluster and per-peer
 * settings (Q, N, R, W, timeouts, periods) are PeerConfig (config.ts); what is here is
 * not meant to be tuned per deployment. Storage-layout names live in data/storage-keys.ts
 * and cluster/member-persist.ts, wire bounds in core's LIMITS and CODEC_LIMITS.
 */
import { CODEC_LIMITS, LIMITS } from '@ringstore/core'

// ── Requests ─────────────────────────────────────────────────────────────────────────

/** Largest n a request or a cluster may ask for: the codec bounds n and acks by it. */
export const MAX_REPLICAS = CODEC_LIMITS.replicas

/**
 * A forwarded put waits for the remote coordinator, which itself may wait one full
 * requestTimeoutMs for its replicas: twice the replica timeout covers both legs
 * (protocol/coordinate-put.ts).
 */
export const FORWARD_TIMEOUT_FACTOR = 2

/**
 * The ping's timeout as a fraction of requestTimeoutMs. A ping costs the primary nothing
 * but a reply, so an alive primary answers it within network latency even while it waits
 * for its replicas; half the timeout keeps probe + first wait (1.5 × requestTimeoutMs,
 * 1.5 s at the defaults) under the 2 s we allow for routing around a silent peer, with
 * room for the next primary.
 */
export const PING_TIMEOUT_FACTOR = 0.5

/** Latency samples kept per operation: enough for p99.9 over a bench window. */
export const LATENCY_SAMPLES_MAX = 10_000

// ── Hinted handoff (cluster/handoff.ts) ──────────────────────────────────────────────

/**
 * Delivery requests in flight per target. One batch costs the target a decode, a merge
 * and an fsync, and us a scan and a delete (another fsync): one batch at a time, they add
 * up (1,000 hints = 4 batches one after another: 188 ms in bench W2). With 4 in flight
 * they overlap and the target's concurrent merges share group commits; W2 took 25-40 %
 * less on a loaded 2-core machine. Bounded so that a large backlog never floods the
 * target: at most 4 × hintBatch hints (4 frames) in flight.
 */
export const HINT_DELIVERY_PIPELINE = 4

/**
 * Longest pause between two hint expiry passes (cluster/hint-expiry.ts). A pass runs every
 * quarter of hintMaxAgeMs, so a hint lives at most 1.25 × the age limit, but at least
 * hourly: the pass only walks the in-memory index, and deletes nothing unless a hint expired.
 */
export const HINT_EXPIRY_PERIOD_MAX_MS = 60 * 60 * 1000

/** Hints deleted per write by an expiry pass: one bounded commit at a time, like a delivery batch. */
export const HINT_EXPIRY_BATCH = 256

// ── Anti-entropy (cluster/anti-entropy.ts, anti-entropy-walk.ts) ─────────────────────

/**
 * Partitions walked (or, in the roots step, peers asked) at the same time by a round
 * asked for explicitly. Each has one request in flight, so this bounds both the requests a
 * round puts on the network and the memory of fetched versions.
 */
export const AE_PARTITIONS_IN_FLIGHT = 4

/**
 * Pace of a periodic round (and of a periodic tombstone collection): one request at a
 * time, and after 4 ms of them a pause of 8 ms, so background work holds at most a third
 * of the event loop. Walking Q = 1024 identical partitions one by one (~0.3 ms an exchange
 * on a daemon; what a peer without 'ae-roots' still costs) takes ~1 s per other replica,
 * well inside the 10 s default period; unpaced, with 4 in flight, it took ~0.35 s and
 * pushed the p99 of writes at 200/s from ~3 to ~25 ms (bench W1c).
 */
export const AE_PACE = { sliceMs: 4, pauseMs: 8 } as const

/**
 * The admission controller of background work (cluster/background-throttle.ts): the
 * foreground p99 is taken over the last second (long enough for a few hundred requests at
 * a modest rate, short enough that background work resumes within a second of the load
 * easing), and a pause never passes a second, so repairs and hints still drain under
 * sustained load.
 */
export const THROTTLE_WINDOW_MS = 1000
export const THROTTLE_MAX_PAUSE_MS = 1000

/**
 * Leaf buckets asked per 'ae-buckets' request. A new, empty replica differs in every bucket
 * and receives the other side's entries: 16 of 256 buckets of a 10k-key partition is ~600
 * entries, far below the frame limit even with long keys.
 */
export const AE_BUCKETS_PER_REQUEST = 16

/**
 * Keys per 'replica-get-many' in a repair or a tombstone check (≤ LIMITS.batchKeys). The
 * reply carries values, whose sizes only the other side knows: a reply refused as
 * 'too-large' is retried in halves.
 */
export const AE_FETCH_KEYS = Math.min(256, LIMITS.batchKeys)

/**
 * Partitions per 'ae-roots' request (≤ CODEC_LIMITS.treeItems). Answering recomputes the
 * dirty roots among them (up to fanout + 1 sha256 each): after a burst of writes every
 * tree is dirty, and 1,024 of them took ~47 ms, so 256 per request stalled the event loop
 * ~12 ms on each side (bench W1c p99 ~22 ms). 32 kept one request ~1.5 ms, and a paced
 * round pauses between requests; Q = 1024 identical partitions then cost 32 requests per
 * other replica instead of 1024 'ae-nodes'. Since the roots got ~3× cheaper (2026-12-07,
 * bench/merkle-roots.ts: 1,024 dirty trees ~10-16 ms) a request of 32 recomputes in
 * ~0.5 ms; 64 per request measured no clear gain in a round's CPU (bench/ae-round-cpu.ts).
 */
export const AE_ROOTS_PER_REQUEST = Math.min(32, CODEC_LIMITS.treeItems)

// ── Ownership transfer (cluster/transfer.ts) ─────────────────────────────────────────

/**
 * Wait after a ring change before transferring: a join arrives with a burst of records
 * (gossip, then pulls), and one run after the burst moves the data once instead of
 * chasing intermediate rings.
 */
export const TRANSFER_DEBOUNCE_MS = 250

/**
 * Retry period when no periodic schedule is configured but a transfer is pending (an
 * owner was unreachable). Matches the anti-entropy default period.
 */
export const TRANSFER_RETRY_MS = 10_000

// ── Tombstone GC (cluster/tombstone-gc.ts) ───────────────────────────────────────────

/**
 * Longest pause between collection runs. A run scans the whole local replica, so it runs
 * at most every quarter grace period (a tombstone waits at most 1.25 × grace) and never
 * more often than anti-entropy; 15 min caps the wait with the default one-hour grace.
 */
export const GC_PERIOD_MAX_MS = 15 * 60 * 1000

// ── Membership and failure detection (cluster/) ──────────────────────────────────────

/** First retry of a failed seed; doubled per failure. A seed restart takes about this long to be noticed. */
export const SEED_RETRY_BASE_MS = 500

/** Cap of the seed back-off: a long-dead seed costs one dial per 30 s. */
export const SEED_RETRY_MAX_MS = 30_000

/**
 * A seed dial that has not resolved after this long counts as failed (and is retried).
 * libp2p dials through a relay (browsers) take a few seconds; 10 s leaves margin.
 */
export const SEED_DIAL_TIMEOUT_MS = 10_000

/**
 * Probes sent per failure-detector tick at most: with thousands of members down (a
 * data-centre split) the probes of one tick stay a small burst; the rest are probed on
 * later ticks.
 */
export const PROBES_PER_TICK_MAX = 64

/**
 * A member that failed k probes in a row is probed again after 2^(k-1) ticks, at most this
 * many (32 s at the default probeIntervalMs): after a partition a peer may hold most of the
 * cluster unreachable (every gossip partner across the cut), and probing each every tick
 * made the detector's cost the cluster size. With the back-off a long-lost member costs a
 * probe per this many ticks; one that comes back is seen sooner by its reconnection or by
 * any request that succeeds (handoff retries on its own schedule).
 */
export const PROBE_BACKOFF_MAX_TICKS = 32

/**
 * A removal (cluster/member-removals.ts) is gossiped once when it arrives, then again every
 * this many heartbeats while it is recent: a member that was connected but lost the first
 * message (gossip is best effort) would otherwise go on routing to the removed member,
 * since only a reconnect makes it pull the table. Removals are rare, so the cost is a few
 * small messages per member and period.
 */
export const REMOVAL_REGOSSIP_HEARTBEATS = 5

/**
 * The default of PeerConfig.announceRepeats: a peer announces its own record when it
 * changes (start, restart, leave), then again in this many gossip rounds (one per heartbeatIntervalMs): a libp2p gossip mesh forms some
 * tens of ms after a dial, so the first announcement may reach nobody. Later rounds carry
 * nothing new; the digest exchanges (members-digest) bring any peer that missed them up to
 * date. Unchanged records are not re-announced: that cost every member the cluster size
 * per period.
 */
export const OWN_RECORD_ANNOUNCE_ROUNDS = 3

/**
 * How long after its `removedAt` a removal is gossiped again. A member down longer than
 * this learns it from the first table it pulls when it comes back.
 */
export const REMOVAL_REGOSSIP_MS = 60 * 60 * 1000

/**
 * How long a member whose record a ring checkpoint dropped (it left before the cut) stays
 * a `member` to roleOf: a member that left keeps handing its data to the new owners after
 * its 'left' record went out, for as long as a partition keeps them apart, and they take
 * it only from a member. A day; ids only, so the book stays small whatever the churn.
 */
export const DROPPED_MEMBER_ROLE_MS = 24 * 60 * 60 * 1000

/**
 * Stored bytes of recently decoded clocks a replica store keeps, with the clocks
 * (data/opened-clocks.ts): a hot key read or merged again is not decoded again. 2 MiB is a
 * hundred busy keys of 256-entry clocks; a browser tab's store keeps it too.
 */
export const OPENED_CLOCKS_BYTES = 2 * 1024 * 1024
