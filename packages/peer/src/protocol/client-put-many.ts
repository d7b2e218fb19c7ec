/**
 * `client-put-many`: many of a client's own writes in one durable commit (a browser tab
 * delivering its hints when it is back online), each taken as `client-put` takes one:
 * only what the client may contribute (core's clientContribution), and only for keys it
 * may write (core's key-rights.ts).
 */
import { clientContribution } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { checkClientGrowth, checkItems, checkKeyRights } from './checks.js'
import type { MemberRoles } from './checks.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

export const clientPutMany: Protocol<'client-put-many', { readonly replicas: Pick<ReplicaStore, 'getMany' | 'mergeMany'>, readonly membership: MemberRoles }> = {
  type: 'client-put-many',
  callers: 'client',
  async serve ({ replicas, membership }, request, from) {
    const items = checkItems(request.items)
    // All or nothing: a client checks its own rights before it writes (peer.ts), so a
    // batch with a key it may not write is not an honest client's.
    for (const [key] of items) checkKeyRights(membership, from, key, 'write')
    const held = await replicas.getMany(items.map(([key]) => key))
    const contributed: Array<readonly [Key, DvvSet]> = []
    items.forEach(([key, clock], i) => {
      const local = held[i] ?? null
      const contribution = clientContribution(clock, from, local)
      if (contribution === null) return
      // All or nothing, as for rights: a batch with a key past the write bounds is refused.
      checkClientGrowth(local, contribution)
      contributed.push([key, contribution])
    })
    if (contributed.length > 0) await replicas.mergeMany(contributed)
    return { type: 'ok' }
  }
}

/** Have `peer` merge this client's `items` (one frame's worth); resolves once durable there. */
export async function askClientPutMany (rpc: PeerRpc, peer: PeerId, items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<void> {
  await rpc.expect(peer, { type: 'client-put-many', items }, 'ok')
}
