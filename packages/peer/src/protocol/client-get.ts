/**
 * `client-get`: one replica's version of a key, for a client (a browser tab) that
 * coordinates its own read (the paper's client-driven coordination): the client surface's
 * counterpart of the member-only `replica-get`, served the same way. Its own protocol so
 * that who may read what (per-key rights) is decided here, not in the replication path.
 */
import { validateKey } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { checkKeyRights } from './checks.js'
import type { MemberRoles } from './checks.js'
import type { Protocol } from './protocol.js'
import { replicaGet } from './replica-get.js'
import type { PeerRpc } from './rpc.js'

export const clientGet: Protocol<'client-get', { readonly replicas: Pick<ReplicaStore, 'get'>, readonly membership: MemberRoles }> = {
  type: 'client-get',
  callers: 'client',
  async serve (services, request, from) {
    checkKeyRights(services.membership, from, validateKey(request.key), 'read')
    return await replicaGet.serve(services, { type: 'replica-get', key: request.key }, from)
  }
}

/** `peer`'s version of `key`, null when it holds none; throws when it refuses or is silent. */
export function askClientGet (rpc: PeerRpc, peer: PeerId, key: Key): Promise<DvvSet | null> {
  return rpc.expect(peer, { type: 'client-get', key }, 'clock').then((response) => response.clock)
}
