/**
 * The resource limits of one RPC stream (rpc-stream.ts), gathered so that tests can inject
 * short ones through `Libp2pNetworkOptions.rpcLimits`. Defaults and their reasons are in
 * constants.ts; README.md has the table of limit, value, effect and counter.
 */
import {
  INITIAL_SERVING_PER_STREAM, INVALID_FRAME_BURST, INVALID_FRAME_UNIT_BYTES, INVALID_FRAMES_PER_SECOND, MAX_SERVING_PER_PEER, MAX_SERVING_PER_STREAM,
  MAX_PARTIAL_BYTES_PER_PEER, MAX_UNSENT_REPLY_BYTES, MAX_UNSENT_REPLY_REFUSE_BYTES,
  PARTIAL_FRAME_BASE_MS, PARTIAL_FRAME_FLOOR_BYTES_PER_SECOND
} from './constants.js'

export interface RpcLimits {
  /** Requests from the peer served at once on one stream; above it we stop reading. */
  readonly maxServing: number
  /** The same before the stream's first reply (the replies' size is not known yet). */
  readonly initialServing: number
  /** Requests from one peer served at once over all its streams; beyond it they are refused. */
  readonly maxServingPerPeer: number
  /** Unsent reply bytes on one stream at which we stop reading its requests. */
  readonly maxUnsentReplyBytes: number
  /** Unsent reply bytes on one stream at which further replies are refused (an error naming the limit). */
  readonly refuseUnsentReplyBytes: number
  /** A started frame must complete within this plus its size at `partialFrameBytesPerSecond`. */
  readonly partialFrameBaseMs: number
  readonly partialFrameBytesPerSecond: number
  /** Bytes of unfinished frames one peer may make us buffer over all its streams; past it the stream that grew it is reset. */
  readonly maxPartialBytesPerPeer: number
  /** Invalid frames one peer may send in a burst, and the budget's refill rate. */
  readonly invalidFrameBurst: number
  readonly invalidFramesPerSecond: number
  /** An invalid frame costs one unit of that budget per this many bytes started. */
  readonly invalidFrameUnitBytes: number
}

export const DEFAULT_RPC_LIMITS: RpcLimits = {
  maxServing: MAX_SERVING_PER_STREAM,
  initialServing: INITIAL_SERVING_PER_STREAM,
  maxServingPerPeer: MAX_SERVING_PER_PEER,
  maxUnsentReplyBytes: MAX_UNSENT_REPLY_BYTES,
  refuseUnsentReplyBytes: MAX_UNSENT_REPLY_REFUSE_BYTES,
  partialFrameBaseMs: PARTIAL_FRAME_BASE_MS,
  partialFrameBytesPerSecond: PARTIAL_FRAME_FLOOR_BYTES_PER_SECOND,
  maxPartialBytesPerPeer: MAX_PARTIAL_BYTES_PER_PEER,
  invalidFrameBurst: INVALID_FRAME_BURST,
  invalidFramesPerSecond: INVALID_FRAMES_PER_SECOND,
  invalidFrameUnitBytes: INVALID_FRAME_UNIT_BYTES
}

/** Budget units an invalid frame of `bytes` costs (at least one, at most a whole burst). */
export function invalidFrameCost (limits: RpcLimits, bytes: number): number {
  return Math.min(limits.invalidFrameBurst, Math.max(1, Math.ceil(bytes / limits.invalidFrameUnitBytes)))
}

/** How long a frame of `bytes` (0 while its length prefix is incomplete) may take to arrive. */
export function partialFrameDeadlineMs (limits: RpcLimits, bytes: number): number {
  return limits.partialFrameBaseMs + Math.ceil(bytes * 1000 / limits.partialFrameBytesPerSecond)
}
