/**
 * `ae-buckets`: the `[key, digest]` entries of some leaf buckets of one partition's Merkle
 * tree: the last step of the anti-entropy walk, which names the differing keys.
 */
import type { Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { checkPartition } from './checks.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

interface Services {
  readonly q: number
  readonly replicas: Pick<ReplicaStore, 'tree'>
}

export const aeBuckets: Protocol<'ae-buckets', Services> = {
  type: 'ae-buckets',
  callers: 'member',
  serve ({ q, replicas }, request) {
    return { type: 'entries', entries: replicas.tree(checkPartition(request.partition, q)).bucketEntries(request.buckets) }
  }
}

/** `peer`'s entries of the leaf `buckets` of `partition`. */
export async function askAeBuckets (rpc: PeerRpc, peer: PeerId, partition: number, buckets: readonly number[]): Promise<ReadonlyArray<readonly [Key, Uint8Array]>> {
  return (await rpc.expect(peer, { type: 'ae-buckets', partition, buckets }, 'entries')).entries
}
