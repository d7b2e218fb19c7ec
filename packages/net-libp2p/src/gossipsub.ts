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
    emitSelf: false
  })
}
