/**
 * Protocol ids and the limits of the libp2p adapter, each with where its number comes from.
 * The varint prefix length (framing.ts) and the request-id space (rpc-stream.ts) follow
 * from the frame bound and the wire format and stay with the code that defines them.
 */
import { LIMITS } from '@ringstore/core'

// ── Protocol ─────────────────────────────────────────────────────────────────────────

/** Replication, anti-entropy and membership-pull requests: one long-lived stream per peer per direction. */
export const RPC_PROTOCOL = '/ringstore/rpc/1.0.0'

/** The gossipsub topic carrying one cluster's membership announcements. */
export function membersTopic (cluster: string): string {
  return `/ringstore/${cluster}/members/1`
}

// ── RPC streams (network.ts, rpc-stream.ts, framing.ts) ──────────────────────────────

/** Largest frame payload on the RPC stream: the codec's own frame bound. */
export const MAX_FRAME_BYTES = LIMITS.frameBytes

/**
 * Requests in flight per peer on our outbound stream; callers beyond it wait for a slot.
 * 256 is four times the 64-in-flight load that saturates a stream on a 2-core machine
 * (measured: 19-29k req/s at 64 in flight, TCP + noise + yamux, 64-byte payloads), so it
 * only bites on overload.
 */
export const DEFAULT_MAX_IN_FLIGHT = 256

/**
 * Requests from one peer served at once on one inbound stream; above it we stop reading
 * that stream (yamux back-pressure) until some finish. Same figure as the sender's bound,
 * so a well-behaved peer never hits it.
 */
export const MAX_SERVING_PER_STREAM = 256

/**
 * Requests served at once on a stream before its first reply shows how large its replies
 * are (rpc-stream.ts's servingCap): 16 replies of the largest value (1 MiB) are 16 MiB
 * prepared at once, twice the backlog bound. An honest peer's small replies lift the cap
 * to MAX_SERVING_PER_STREAM after the first one, within a millisecond.
 */
export const INITIAL_SERVING_PER_STREAM = 16

/**
 * Requests from one peer served at once over all its streams and connections (a peer may
 * open MAX_RPC_STREAMS per connection, and more than one connection). A request beyond it
 * is answered at once with an `unavailable` error naming the limit, not served. Twice the
 * per-stream figure: an honest peer uses one stream, plus a replacement while the old one
 * is torn down.
 */
export const MAX_SERVING_PER_PEER = 2 * MAX_SERVING_PER_STREAM

/**
 * How long opening the RPC stream (dial + noise + yamux + multistream-select) may take
 * before the peer counts as unreachable; libp2p's own default dial timeout is 5 s. A
 * request's own deadline applies on top of this.
 */
export const OPEN_STREAM_TIMEOUT_MS = 5_000

/**
 * Closing an RPC stream politely (our last frames, then our end) may take this long before
 * the stream is aborted instead: a live peer acknowledges within a round trip, and a dead
 * one must not hold up a stop.
 */
export const STREAM_CLOSE_TIMEOUT_MS = 1_000

/**
 * RPC streams per connection and direction: one is in use at a time; a few more cover a
 * stream being torn down while its replacement opens (libp2p defaults: 32 in / 64 out).
 */
export const MAX_RPC_STREAMS = 4

/**
 * Bytes of replies queued on one inbound RPC stream and not yet taken by the muxer (the
 * peer is not reading, or reads slowly). At or above it we stop reading that stream's
 * requests until the backlog falls below half of it: a peer that never reads costs about
 * this much, not a reply per request it sends. 8 MiB = one largest frame (LIMITS.frameBytes),
 * so a single maximum-size reply (a partition transfer) still goes out on its own.
 */
export const MAX_UNSENT_REPLY_BYTES = MAX_FRAME_BYTES

/**
 * Unsent reply bytes on one stream at which a reply that is ready (its request was already
 * being served when reading stopped) is replaced by a short `unavailable` error naming the
 * limit instead of being queued: what bounds a peer that never reads. Four times the pause
 * bound, because an honest peer that reads can still have a burst of replies produced in
 * one turn (64 concurrent reads of 512 KiB values) before any of it drains; only the part
 * of a burst past 32 MiB is refused.
 */
export const MAX_UNSENT_REPLY_REFUSE_BYTES = 4 * MAX_UNSENT_REPLY_BYTES

/**
 * A frame whose length prefix has arrived must be complete within this long plus its size
 * at PARTIAL_FRAME_FLOOR_BYTES_PER_SECOND; otherwise the stream is reset and the bytes
 * buffered for it freed (a peer parking half-sent 8 MiB frames held memory until it left).
 * Five seconds is the dial budget (OPEN_STREAM_TIMEOUT_MS): a live peer starts sending a
 * frame's bytes within that.
 */
export const PARTIAL_FRAME_BASE_MS = 5_000

/**
 * The slowest transfer rate a partial frame is allowed: 256 KiB/s, far below any link a
 * member runs on (an 8 MiB frame gets 5 s + 32 s), so only a stalled sender hits it.
 */
export const PARTIAL_FRAME_FLOOR_BYTES_PER_SECOND = 256 * 1024

/**
 * Bytes of unfinished frames one peer may make us buffer over all its streams at once. Two
 * largest frames: an honest peer has at most one frame in progress on its request stream
 * and one (a response) on ours. Without it a peer could park MAX_RPC_STREAMS × 8 MiB per
 * connection for the whole partial-frame deadline (37 s for 8 MiB). Past it, the stream
 * whose bytes crossed it is reset and its buffer freed.
 */
export const MAX_PARTIAL_BYTES_PER_PEER = 2 * MAX_FRAME_BYTES

/**
 * Invalid inbound frames (undecodable, oversized, malformed prefix) one peer may send in a
 * burst before every further one resets its stream; refilled at INVALID_FRAMES_PER_SECOND.
 * An honest peer sends none (a newer peer's unknown request type is the exception, hence a
 * budget and not zero); junk with a readable header cost ~0.4 s of decoding per 8 MiB frame.
 */
export const INVALID_FRAME_BURST = 16

/**
 * An invalid frame costs one unit of the budget per INVALID_FRAME_UNIT_BYTES started: what
 * it cost us is its decoding, which grows with its size. An 8 MiB junk frame spends a whole
 * burst, so a peer gets one per 16 s (~0.4 s of decoding: 2.5% of a core) instead of one a
 * second; small junk still gets 16 frames.
 */
export const INVALID_FRAME_UNIT_BYTES = 512 * 1024

/** Refill rate of the invalid-frame budget: one unit a second (16 s to refill a burst). */
export const INVALID_FRAMES_PER_SECOND = 1

/** Peers with an invalid-frame budget at once (least recently charged forgotten): above libp2p's connection limit. */
export const INVALID_FRAME_PEERS = 1024

/** Characters of a decode error echoed in an error response (the codec allows 1 KiB). */
export const ERROR_MESSAGE_CHARS = 200

// ── Frame batching (frame-batcher.ts) ────────────────────────────────────────────────

/**
 * Largest coalesced piece: one noise transport message carries at most 65,535 bytes
 * including its 16-byte ChaCha20-Poly1305 tag, and yamux adds a 12-byte header to the data
 * frame inside it: 65,535 − 16 − 12.
 */
export const MAX_PIECE_BYTES = 65_507

/**
 * Frames up to this size are copied into the shared piece; larger ones are sent by
 * reference (copying megabytes to save one send is a bad trade).
 */
export const COPY_LIMIT_BYTES = 16 * 1024

// ── Address book (address-book.ts) ───────────────────────────────────────────────────

/** The periodic pass: a restarted member's new address is learnt within a second. */
export const ADDRESS_SYNC_INTERVAL_MS = 1_000

/**
 * A peer whose record had no dialable address is looked up again on a request at most this
 * often (a browser tab without addresses must not cost a table scan per request).
 */
export const LOOKUP_RETRY_MS = 250

// ── The daemon's node (node.ts) ──────────────────────────────────────────────────────

/**
 * Relay reservations held at once when `relayServer: true`: one per browser tab using this
 * daemon for signalling (libp2p's default is 15, too few for a demo with many tabs).
 */
export const DEFAULT_RELAY_RESERVATIONS = 128

// ── Cluster authority (cluster-authority.ts) ─────────────────────────────────────────

/** Bytes of a cluster secret: 256 bits, the strength of the Ed25519 key derived from it. */
export const CLUSTER_SECRET_BYTES = 32

// ── Gossip hardening (network.ts, gossip-guard.ts, gossipsub.ts) ─────────────────────

/**
 * Records one propagation source (the peer that handed us the message, author or relay)
 * may bring per second on the membership topic, refilled continuously; past it the topic
 * validator answers Ignore (not delivered, not forwarded, not held against the score: an
 * honest relay of a big cluster may hit it) and counts the drop. Members heartbeat every
 * 2 s (PeerConfig's default), so a relay that is the first to bring every record of a
 * 100-member cluster brings 50/s; in bigger clusters first deliveries spread over the
 * D = 6 mesh peers. A record lost here costs nothing lasting: the next heartbeat repeats
 * it and member pulls fill any gap.
 */
export const GOSSIP_RECORDS_PER_SECOND = 50

/**
 * The bucket's depth: a source may bring this many records at once after a quiet spell
 * (a joining peer's burst of subscriptions and first heartbeats, a relay catching up after
 * a reconnect). Two seconds' worth: one heartbeat round of a 100-member cluster.
 */
export const GOSSIP_RECORD_BURST = 100

/**
 * Propagation sources with a bucket at once; the least recently seen is forgotten beyond
 * it (and starts full if it comes back). Above libp2p's default connection limit (300),
 * so a connected peer's bucket is forgotten only after it disconnected: reconnecting to
 * reset one's bucket costs a dial and a handshake per burst.
 */
export const GOSSIP_RATE_PEERS = 1024

/**
 * Admission certificates whose authority-signature verdict is remembered (same bytes →
 * same verdict, good or bad). One per member of the largest member table, so in an honest
 * cluster every heartbeat after the first costs one signature check (the record's own),
 * not two. Least recently used entries go first.
 */
export const ADMISSION_CACHE_ENTRIES = LIMITS.members
