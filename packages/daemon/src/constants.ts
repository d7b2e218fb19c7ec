/**
 * The daemon's fixed numbers and the defaults of its command line, each with where it
 * comes from. Engine settings (q, n, r, w, weight, zone, timeouts, periods) default to the
 * engine's DEFAULT_CONFIG (@ringstore/peer) and the value, key and zone bounds are core's
 * LIMITS; the help text (cli.ts) prints all of them from there. Names of files in the data
 * directory stay with the code that owns them (STORE_DIR in daemon.ts, PID_FILE in lock.ts).
 */
import { MAX_MEMBER_WEIGHT, MAX_RING_PARTITIONS } from '@ringstore/core'
import type { LogLevel } from './logger.js'

// ── `ringstore start` defaults (args.ts) ─────────────────────────────────────────────

/** Identity key, store and pid lock in a folder of the working directory, named after the program. */
export const DEFAULT_DATA_DIR = './ringstore-data'

/** 7070: unassigned by IANA and easy to remember; `npm start` uses 7070-7072. */
export const DEFAULT_HTTP = { host: '127.0.0.1', port: 7070 } as const

/** Loopback only by default: exposing the store is an explicit choice (`--listen /ip4/0.0.0.0/...`). */
export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws']

/**
 * Peers only join their own cluster; daemons (and browser tabs: @ringstore/browser's
 * DEFAULT_CLUSTER) started without a name share this one.
 */
export const DEFAULT_CLUSTER = 'ringstore'

/** Lifecycle lines (ready, shutting down, stopped) and every warning and error; `debug` is for tracing. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info'

/**
 * Default bound on /kv requests in progress (http/admission.ts). A daemon on this 2-core
 * machine completes ~1,000-3,500 writes/s at W=2 (bench cluster and W1), so 128 waiting
 * requests are at most ~0.1 s of work: a client that gets through waits about that at
 * worst. Twice the bench's 64-client closed loop (all on one daemon in W1a) still never
 * sheds, while its open-loop client, which keeps up to 256 connections per daemon, does get
 * shed when it offers more than the daemons serve.
 */
export const DEFAULT_MAX_INFLIGHT = 128

/**
 * Default bound on open HTTP connections (http/connections.ts). The bench's open-loop
 * client keeps up to 256 per daemon and the demo's tabs a few each; 1,024 leaves room for
 * those four times over, and stays far below the fds a process gets here (20,000; many
 * systems default to 1,024 soft, which an operator raising this must raise too), so
 * libp2p's own connections and the store's files always find an fd.
 */
export const DEFAULT_HTTP_MAX_CONNECTIONS = 1024

/** Upper bound of --http-max-connections: beyond any fd limit a process gets. */
export const MAX_HTTP_CONNECTIONS_LIMIT = 1_000_000

/**
 * An HTTP connection without a request this long is closed (and a request head must be
 * complete within it). 10 s frees the fds of abandoned or slowloris connections in seconds,
 * not Node's ~90 s, and is twice Node's keep-alive wait, so a client that reuses its
 * connection between requests (every HTTP library does) never notices.
 */
export const DEFAULT_HTTP_IDLE_TIMEOUT_MS = 10_000

/** Lower bound of --http-idle-timeout-ms: shorter would cut a request head on a slow link. */
export const MIN_HTTP_IDLE_TIMEOUT_MS = 100

// ── `ringstore cluster` defaults (args.ts, local-cluster.ts) ─────────────────────────

/** Data of peer K under `<base dir>/peer-K`: a hidden folder of the working directory (`npm start`: the repository root). */
export const DEFAULT_CLUSTER_BASE_DIR = '.ringstore'

/** Three daemons: as many as the engine's default N = 3 replicas, so every key lives on every daemon. */
export const DEFAULT_CLUSTER_PEERS = 3

/** Peer i serves HTTP on this port + i: the first peer where a lone `ringstore start` would be. */
export const DEFAULT_CLUSTER_HTTP_PORT = DEFAULT_HTTP.port

/**
 * Peer i listens for libp2p on TCP this port + i: 100 above the HTTP ports, so with at most
 * MAX_LOCAL_PEERS peers the two ranges never meet.
 */
export const DEFAULT_CLUSTER_P2P_PORT = 7170

/** `ringstore cluster`: peer i listens on TCP p2pPort+i and WebSockets p2pPort+WS_PORT_OFFSET+i. */
export const WS_PORT_OFFSET = 100

/** Most peers `ringstore cluster` starts: it is a demo on one machine, not a deployment tool. */
export const MAX_LOCAL_PEERS = 16

/** A daemon that has not printed its ready line after this long is reported as failed (local-cluster.ts). */
export const READY_TIMEOUT_MS = 60_000

// ── Leaving (leave.ts, leave-command.ts) ────────────────────────────────────────────

/**
 * A leaving daemon retries its hand-off this often: the engine's own retry runs only every
 * anti-entropy period (10 s), and an operator waiting on `ringstore leave` should not.
 */
export const LEAVE_CHECK_MS = 1_000

/**
 * Drained = nothing held at two looks this far apart: more than a heartbeat period (2 s),
 * so a write sent to us by a member that had not yet heard of the leave is seen and handed on.
 */
export const LEAVE_SETTLE_MS = 3_000

/**
 * A drained daemon stops as soon as someone read its drained progress, or after this long
 * without (the waiting command died): long enough for a command polling every
 * LEAVE_POLL_MS on a loaded machine, short enough that nobody wonders why it still runs.
 */
export const LEAVE_LINGER_MS = 10_000

/**
 * `ringstore leave --timeout` default. Only the command stops waiting at the timeout: the
 * daemon goes on handing off. Ten minutes is plenty for the stores the tests and the demo
 * make (a few thousand keys hand off in seconds); a large store needs a larger value.
 */
export const DEFAULT_LEAVE_TIMEOUT_S = 600

/** Upper bound of --timeout (a week): longer is a typo. */
export const MAX_LEAVE_TIMEOUT_S = 7 * 24 * 60 * 60

/** How often `ringstore leave` asks for progress. */
export const LEAVE_POLL_MS = 500

/** `ringstore leave` prints a progress line when it changed, and at least this often. */
export const LEAVE_PROGRESS_EVERY_MS = 5_000

/** An operator command gives up on one HTTP request to its daemon after this long. */
export const OPERATOR_REQUEST_TIMEOUT_MS = 10_000

// ── Command-line bounds (args.ts) ────────────────────────────────────────────────────

/** Upper bound of any millisecond option: a day; longer is a typo. */
export const MAX_OPTION_MS = 24 * 60 * 60 * 1000

/** Upper bound of --hint-quota and --hint-quota-per-target: 1 TiB; more is a typo (or no quota at all). */
export const MAX_HINT_QUOTA_BYTES = 1024 ** 4

/** Upper bound of --hint-max-age: a year; hints are for replicas down hours or days. */
export const MAX_HINT_AGE_MS = 365 * 24 * 60 * 60 * 1000

/** Upper bound of --max-inflight: a million requests in progress is no bound at all (use 0). */
export const MAX_INFLIGHT_LIMIT = 1_000_000

/** Upper bound of --q: the largest partition count core's ring accepts (2^20). */
export const MAX_Q = MAX_RING_PARTITIONS

/**
 * Upper bound of --weight: a million times another peer's share is no weight any more, and
 * it stays below core's MAX_MEMBER_WEIGHT (2^20), which keeps the ring's arithmetic exact.
 */
export const MAX_WEIGHT = Math.min(1_000_000, MAX_MEMBER_WEIGHT)

/**
 * Characters of a --cluster name. It goes into the gossipsub topic every membership
 * announcement carries (`/ringstore/<cluster>/members/1`): 64 is plenty for a name and
 * keeps the topic short.
 */
export const MAX_CLUSTER_NAME_CHARS = 64

// ── HTTP server (http/server.ts) ─────────────────────────────────────────────────────

/**
 * Request head limit. Node's default is 16 KiB; a context of 64 actors (a key within the
 * write bound, one coordinator per sibling) is a header of ~12.3k characters, so 32 KiB
 * leaves room for the other headers. A merged key may hold more actors (core's
 * LIMITS.storedClockEntries, CODEC_LIMITS.contextChars): its context fits this head up to
 * ~170 actors (ids at their 128-byte limit; ~300 with libp2p ids); past that it cannot be
 * written back through HTTP in one piece.
 */
export const MAX_HEADER_BYTES = 32 * 1024

/** A request (head and body) must arrive within this; a 1 MiB body needs far less on any link that matters here. */
export const REQUEST_TIMEOUT_MS = 60_000

/** Shutdown: in-flight requests get this long to finish before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 5_000

/**
 * How long one step of the stop sequence (shutdown.ts) may take before it is logged by name
 * and left behind. The HTTP API's step takes up to SHUTDOWN_GRACE_MS by design, and the
 * peer's lets a background run finish its current partition: far below this.
 */
export const SHUTDOWN_STEP_BOUND_MS = 30_000

/**
 * Characters of a request's URL in the log line of an unexpected failure: enough to tell
 * the route and the key, bounded so that a client cannot make the log line arbitrarily long.
 */
export const LOGGED_URL_CHARS = 256

// ── Admission and request bodies (http/admission.ts, http/body.ts) ──────────────────

/** Seconds a shed client is asked to wait (`Retry-After`, which counts whole seconds). */
export const OVERLOAD_RETRY_AFTER_S = 1

/**
 * Bytes of a refused body we read and discard so the client sees the 413: covers a
 * client that sends a value a few times over the limit; beyond it we hang up.
 */
export const DRAIN_MAX_BYTES = 16 * 1024 * 1024

/** And for how long: a slow client does not get to hold the connection. */
export const DRAIN_MAX_MS = 5_000

// ── Query parameters (http/query.ts) ─────────────────────────────────────────────────

/** Digits accepted for n/r/w: the engine caps n at 64, so 6 digits only guard the parse. */
export const MAX_QUORUM_DIGITS = 6

/** Characters of an unknown parameter's name or a bad value echoed in the 400 reply: enough to spot a typo. */
export const QUERY_ECHO_CHARS = 64

// ── Caching (http/respond.ts, http/static.ts) ────────────────────────────────────────

/**
 * How long a browser may reuse a CORS preflight answer (`Access-Control-Max-Age`, seconds):
 * the answer never changes while a daemon runs, and 10 minutes spares the demo one OPTIONS
 * round trip per route and write.
 */
export const CORS_MAX_AGE_S = 600

/**
 * Cache lifetime of the demo's assets (seconds): they are named by content hash, so they
 * never change; one year (365 days) is the customary "forever" of `Cache-Control: max-age`.
 */
export const IMMUTABLE_MAX_AGE_S = 365 * 24 * 60 * 60

/** The demo's files are a few hundred kB; anything far larger in there is not ours to serve. */
export const MAX_STATIC_FILE_BYTES = 16 * 1024 * 1024

// ── Metrics (http/request-metrics.ts, http/metrics-route.ts) ─────────────────────────

/**
 * Request duration buckets, seconds. From 0.25 ms (a local read) to 5 s (well past the 1 s
 * request timeout: a slow quorum shows up in the top buckets).
 */
export const DURATION_BUCKETS_S: readonly number[] = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/**
 * Sibling counts bucketed for the histogram. A write may leave at most 64 (core's
 * LIMITS.siblings); merges of replicas cut off from each other may hold more (up to
 * LIMITS.storedSiblings), counted in +Inf.
 */
export const SIBLING_BUCKETS: readonly number[] = [1, 2, 3, 4, 8, 16, 32, 64]
