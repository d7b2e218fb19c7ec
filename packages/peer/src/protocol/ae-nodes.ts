/**
 * `ae-nodes`: the hashes of some nodes of one partition's Merkle tree at one level. The
 * anti-entropy walk descends only into the nodes whose hashes differ (cluster/anti-entropy-walk.ts).
 */
import type { PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { checkPartition } from './checks.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

interface Services {
  readonly q: number
  readonly replicas: Pick<ReplicaStore, 'tree'>
}

export const aeNodes: Protocol<'ae-nodes', Services> = {
  type: 'ae-nodes',
  callers: 'member',
  serve ({ q, replicas }, request) {
    // The tree checks level and indices (MerkleRangeError: a bad request).
    return { type: 'hashes', hashes: replicas.tree(checkPartition(request.partition, q)).nodes(request.level, request.indices) }
  }
}

/** `peer`'s hashes of the nodes `indices` at `level` of `partition`'s tree, in order. */
export async function askAeNodes (rpc: PeerRpc, peer: PeerId, partition: number, level: number, indices: readonly number[]): Promise<readonly Uint8Array[]> {
  return (await rpc.expect(peer, { type: 'ae-nodes', partition, level, indices }, 'hashes')).hashes
}
