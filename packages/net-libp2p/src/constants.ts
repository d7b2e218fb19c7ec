/**
 * Protocol ids and the limits of the libp2p adapter, each with where its number comes from.
 */
import { LIMITS } from '@ringstore/core'

/** Replication, anti-entropy and membership-pull requests: one long-lived stream per peer per direction. */
export const RPC_PROTOCOL = '/ringstore/rpc/1.0.0'

/** The gossipsub topic carrying one cluster's membership announcements. */
export function membersTopic (cluster: string): string {
  return `/ringstore/${cluster}/members/1`
}

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
 * How long opening the RPC stream (dial + noise + yamux + multistream-select) may take
 * before the peer counts as unreachable; libp2p's own default dial timeout is 5 s. A
 * request's own deadline applies on top of this.
 */
export const OPEN_STREAM_TIMEOUT_MS = 5_000

/**
 * RPC streams per connection and direction: one is in use at a time; a few more cover a
 * stream being torn down while its replacement opens (libp2p defaults: 32 in / 64 out).
 */
export const MAX_RPC_STREAMS = 4

/** Characters of a decode error echoed in an error response (the codec allows 1 KiB). */
export const ERROR_MESSAGE_CHARS = 200
