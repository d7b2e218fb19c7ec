/** Counters of the libp2p adapter; the daemon exports them as metrics. Plain numbers. */
export interface NetworkStats {
  requestsSent: number
  responsesReceived: number
  requestsServed: number
  /** Our requests that got no answer in time (including those that waited for a slot too long). */
  timeouts: number
  /** Responses for ids no longer pending (the request had timed out). */
  lateResponses: number
  /** Inbound RPC frames that failed framing or decoding. */
  invalidFrames: number
  /**
   * Times an inbound RPC stream stopped reading because its unsent replies reached
   * `maxUnsentReplyBytes` (MAX_UNSENT_REPLY_BYTES): the peer does not read what it asked for.
   */
  replyBacklogPauses: number
  /**
   * Replies replaced by an `unavailable` error because the stream's unsent replies were at
   * `refuseUnsentReplyBytes` when they were ready.
   */
  repliesRefused: number
  /** Requests refused (`unavailable`) because `maxServingPerPeer` of their peer's requests were being served. */
  peerServingRefusals: number
  /** Times an inbound RPC stream stopped reading because `maxServing` of its requests were being served. */
  servingLimitPauses: number
  /** Streams reset because a frame did not complete within its partial-frame deadline. */
  partialFrameTimeouts: number
  /** Streams reset because the peer's unfinished frames passed maxPartialBytesPerPeer. */
  partialBytesResets: number
  /** Streams reset because their peer's invalid-frame budget was spent. */
  invalidFrameBudgetResets: number
  /**
   * A gauge, not a counter: the most unsent bytes ever seen over one peer's RPC streams (the
   * high-water mark the refusal bound keeps within `refuseUnsentReplyBytes` plus one reply).
   */
  unsentReplyBytesPeak: number
  /** High-water mark of one peer's unfinished-frame bytes over all its streams (maxPartialBytesPerPeer). */
  partialBytesPeak: number
  /** Gossip messages on our topic that did not decode, or were unsigned. */
  invalidAnnouncements: number
  /**
   * Announcements whose record is about someone other than their author, or (with a
   * cluster id) whose record signature does not verify for its subject: rejected.
   */
  forgedAnnouncements: number
  /**
   * With a cluster id: records without an admission, or whose admission the cluster
   * authority did not sign or that does not fit the record (weight, zone, peer, join
   * time): rejected.
   */
  unadmittedAnnouncements: number
  /** Gossip messages dropped because their propagation source passed its record rate (constants.ts). */
  rateLimitedAnnouncements: number
  announcementsDelivered: number
}

export function createStats (): NetworkStats {
  return {
    requestsSent: 0,
    responsesReceived: 0,
    requestsServed: 0,
    timeouts: 0,
    lateResponses: 0,
    invalidFrames: 0,
    replyBacklogPauses: 0,
    repliesRefused: 0,
    peerServingRefusals: 0,
    servingLimitPauses: 0,
    partialFrameTimeouts: 0,
    partialBytesResets: 0,
    invalidFrameBudgetResets: 0,
    unsentReplyBytesPeak: 0,
    partialBytesPeak: 0,
    invalidAnnouncements: 0,
    forgedAnnouncements: 0,
    unadmittedAnnouncements: 0,
    rateLimitedAnnouncements: 0,
    announcementsDelivered: 0
  }
}
