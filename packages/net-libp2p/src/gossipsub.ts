/**
 * The one module that imports the gossipsub implementation.
 *
 * `@chainsafe/libp2p-gossipsub` is the usual gossipsub package, but its latest release
 * (14.x) is built for `@libp2p/interface` 2: with libp2p 3 it starts without error yet
 * peers never see each other's subscriptions. The libp2p maintainers publish the same code
 * base for libp2p 3 as `@libp2p/gossipsub`, a stopgap until ChainSafe's package supports
 * libp2p 3 (ChainSafe/js-libp2p-gossipsub PR #532). To switch back, change the import
 * below (and the dependency); nothing else names the package.
 */
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub, GossipSubComponents } from '@libp2p/gossipsub'
import { createTopicScoreParams } from '@libp2p/gossipsub/score'
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

export { TopicValidatorResult } from '@libp2p/gossipsub'
export type { Message as PubSubMessage, TopicValidatorFn } from '@libp2p/gossipsub'

/** What the network adapter needs from the pubsub service. */
export type PubSubService = GossipSub

/** The pubsub service factory for `createLibp2p({ services: { pubsub: createPubSub() } })`. */
export function createPubSub (): (components: GossipSubComponents) => PubSubService {
  return gossipsub({
    // Membership must work in a cluster of one and while the mesh forms; announcements to
    // nobody are simply lost (members are also pulled directly on connect).
    allowPublishToZeroTopicPeers: true,
    // Heartbeats repeat the same record content; do not fail on a duplicate.
    ignoreDuplicatePublishError: true,
    // Messages are signed by their author (StrictSign, the default): the adapter relies on
    // `msg.from` being the author when it checks `record.id`.
    globalSignaturePolicy: 'StrictSign',
    emitSelf: false,
    scoreParams: SCORE_PARAMS,
    scoreThresholds: SCORE_THRESHOLDS
  })
}

// ── Peer scoring ─────────────────────────────────────────────────────────────────────
//
// One small topic (membership announcements) whose every valid message is a record signed
// by its subject (and, in an admitted cluster, admitted by the authority). Honest peers
// validate before they forward and never publish what the others would reject, so the
// only thing worth scoring is invalid messages (P4). Honest peers score 0: no positive
// rewards (P1, P2) that a rogue could earn by relaying valid heartbeats and then spend on
// invalid ones, and no delivery quotas (P3, P3b) that a quiet cluster of two would miss.
// Thresholds are gossipsub's defaults; the weight below sets how many invalid messages
// reach each.

/**
 * P4 for the membership topic; the network registers it under its topic name
 * (`scoreTopic`), which only it knows.
 */
export const MEMBERS_TOPIC_SCORE: Partial<TopicScoreParams> = {
  // The only scored topic: weight 1 keeps the arithmetic readable.
  topicWeight: 1,
  // P1 (time in mesh), P2 (first deliveries): off, see above.
  timeInMeshWeight: 0,
  firstMessageDeliveriesWeight: 0,
  // P3 (mesh delivery quota) and its sticky P3b: off. Heartbeats come every 2 s per member,
  // so a mesh peer's delivery count says how big the cluster is, not whether it is honest.
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  // P4 = −10 × (invalid messages)²: one Reject puts the sender at −10 (below 0: pruned from
  // our mesh, and no gossip with it below −10), two at −40, three at −90, past the
  // graylist (−80): everything it sends is then ignored unread.
  invalidMessageDeliveriesWeight: -10,
  // The counter keeps 90% per second (decayInterval): it halves every ~6.6 s, so a peer
  // that sent 10 invalid messages is graylisted ~12 s, one that sent 100 (a burst of
  // forgeries, as many as the rate bound lets through) ~34 s, and back at 0 after ~65 s.
  invalidMessageDeliveriesDecay: 0.9
}

/** Router-wide score parameters (the topic's are added by `scoreTopic`). */
const SCORE_PARAMS: Partial<PeerScoreParams> = {
  // P5 (application score): not used.
  appSpecificWeight: 0,
  // P6 (IP colocation): off. Local clusters, tests and the demo run many peers on
  // 127.0.0.1 (and containers behind one NAT share an address), which gossipsub would
  // punish past 10 peers per IP. Sybils are kept out by admission certificates instead.
  IPColocationFactorWeight: 0,
  // P7 (broken IWANT promises, re-grafting during a backoff): gossipsub's defaults, −10 ×
  // penalty², forgiven fast (×0.2 per second), so an honest peer slowed down by load is
  // not cut off for a late answer.
  behaviourPenaltyWeight: -10,
  behaviourPenaltyThreshold: 0,
  behaviourPenaltyDecay: 0.2,
  // Counters decay once a second (gossipsub's minimum and default); a counter below 0.1
  // counts as 0.
  decayInterval: 1_000,
  decayToZero: 0.1,
  // A peer's score outlives its connection by an hour (the default), so reconnecting does
  // not wash a graylisted peer clean.
  retainScore: 3_600_000
}

/** gossipsub's defaults, stated: with P4 = −10 × n², 2, 3 and 3 invalid messages reach them. */
const SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  // Below: no IHAVE/IWANT gossip exchanged with the peer (two invalid messages: −40).
  gossipThreshold: -10,
  // Below: our own records are not flood-published to it (three: −90).
  publishThreshold: -50,
  // Below: all its RPCs are ignored unread (three: −90).
  graylistThreshold: -80,
  // Peer exchange is off (doPX false); this only guards PX we would never get.
  acceptPXThreshold: 10,
  // Honest peers score 0 (no positive terms), so opportunistic grafting never finds a
  // peer above the median; the default stays.
  opportunisticGraftThreshold: 20
}

/**
 * Score `topic` with the membership topic's parameters. Topic parameters are keyed by
 * topic name, which the node builders do not know (the cluster is the network's option),
 * so the network adds them when it subscribes. Gossipsub reads `score.params.topics` on
 * every score computation; the field is public on the implementation class, not on the
 * `GossipSub` interface, hence the shape check. False when the service has no such field
 * (another pubsub implementation): then invalid messages are rejected but not scored.
 */
export function scoreTopic (pubsub: PubSubService, topic: string): boolean {
  const topics = (pubsub as Partial<Scored>).score?.params?.topics
  if (topics === undefined) return false
  topics[topic] = createTopicScoreParams(MEMBERS_TOPIC_SCORE)
  return true
}

/** A peer's score as `pubsub` sees it (0 when it does not score). */
export function scoreOf (pubsub: PubSubService, peer: string): number {
  const score = (pubsub as Partial<Scored>).score
  return typeof score?.score === 'function' ? score.score(peer) : 0
}

interface Scored {
  readonly score: {
    readonly params?: { readonly topics: Record<string, TopicScoreParams> }
    score?: (peer: string) => number
  }
}
