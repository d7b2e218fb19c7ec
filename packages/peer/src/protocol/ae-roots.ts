/**
 * `ae-roots`: the Merkle roots of many partitions in one request, so that an anti-entropy
 * round spends a fraction of a request on each identical partition and walks only those
 * whose roots differ (cluster/anti-entropy-walk.ts).
 */
import { CODEC_LIMITS } from '@ringstore/core'
import type { PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { RemoteError } from '../errors.js'
import { checkPartition } from './checks.js'
import { BadRequestError } from './protocol.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

interface Services {
  readonly q: number
  readonly replicas: Pick<ReplicaStore, 'tree'>
}

export const aeRoots: Protocol<'ae-roots', Services> = {
  type: 'ae-roots',
  callers: 'member',
  /**
   * The root of each partition, in the order asked. A partition holding no key here answers
   * the empty tree's root (all zero for every shape, core's merkle.ts). Asking creates at
   * most one empty tree per partition of the ring (bounded by q), which allocates nothing
   * until a key arrives: the asking side does the same.
   */
  serve ({ q, replicas }, request) {
    const { partitions } = request
    if (!Array.isArray(partitions) || partitions.length > CODEC_LIMITS.treeItems) {
      throw new BadRequestError(`partitions must be an array of at most ${CODEC_LIMITS.treeItems}`)
    }
    return { type: 'hashes', hashes: partitions.map((partition) => replicas.tree(checkPartition(partition, q)).root()) }
  }
}

/**
 * `peer`'s roots of `partitions`, in order, or 'unsupported' when it does not know this
 * request (an older version answers 'bad-request': walk each partition instead).
 */
export async function askAeRoots (rpc: PeerRpc, peer: PeerId, partitions: readonly number[]): Promise<readonly Uint8Array[] | 'unsupported'> {
  try {
    return (await rpc.expect(peer, { type: 'ae-roots', partitions }, 'hashes')).hashes
  } catch (error) {
    if (error instanceof RemoteError && error.code === 'bad-request') return 'unsupported'
    throw error
  }
}
