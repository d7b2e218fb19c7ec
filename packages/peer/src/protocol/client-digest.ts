/**
 * `client-digest`: the digest of one replica's version of a key, for a client that holds
 * the key itself and fetches the version (`client-get`) only when the digests differ: the
 * client surface's counterpart of the member-only `replica-digest` (coordinator/get.ts,
 * "Digest reads"), served the same way.
 */
import { validateKey } from '@ringstore/core'
import type { Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { checkKeyRights } from './checks.js'
import type { MemberRoles } from './checks.js'
import type { Protocol } from './protocol.js'
import { askDigest, replicaDigest } from './replica-digest.js'
import type { PeerRpc } from './rpc.js'

export const clientDigest: Protocol<'client-digest', { readonly replicas: Pick<ReplicaStore, 'digest'>, readonly membership: MemberRoles }> = {
  type: 'client-digest',
  callers: 'client',
  async serve (services, request, from) {
    checkKeyRights(services.membership, from, validateKey(request.key), 'read')
    return await replicaDigest.serve(services, { type: 'replica-digest', key: request.key }, from)
  }
}

/**
 * The digest of `peer`'s version of `key` (null: it holds none), or 'unsupported' when the
 * peer does not know this request (a member of an older version answers 'bad-request':
 * ask it `client-get`). Throws when the peer is silent or answers anything else.
 */
export function askClientDigest (rpc: PeerRpc, peer: PeerId, key: Key): Promise<Uint8Array | null | 'unsupported'> {
  return askDigest(rpc, peer, { type: 'client-digest', key })
}
