/**
 * `replica-put-many`: merge many versions in one durable commit. Sent by hinted handoff
 * (delivering hints), anti-entropy (pushing merged versions back) and ownership transfer
 * (handing a partition to its new owners).
 */
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { checkItems } from './checks.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

export const replicaPutMany: Protocol<'replica-put-many', { readonly replicas: Pick<ReplicaStore, 'mergeMany'> }> = {
  type: 'replica-put-many',
  callers: 'member',
  async serve ({ replicas }, request) {
    await replicas.mergeMany(checkItems(request.items))
    return { type: 'ok' }
  }
}

/** Have `peer` merge `items` (one frame's worth: protocol/batches.ts); resolves once durable there. */
export async function askReplicaPutMany (rpc: PeerRpc, peer: PeerId, items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<void> {
  await rpc.expect(peer, { type: 'replica-put-many', items }, 'ok')
}
