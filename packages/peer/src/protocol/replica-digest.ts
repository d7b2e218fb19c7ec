/**
 * `replica-digest`: the digest of one replica's version of a key (what its Merkle leaf
 * holds), answered from memory without a storage read. A get's coordinator that holds the
 * key compares it with its own and fetches the version (`replica-get`) only where they
 * differ (Cassandra's digest reads; coordinator/get.ts).
 */
import { validateKey } from '@ringstore/core'
import type { Key, PeerId, Request } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { RemoteError } from '../errors.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

export const replicaDigest: Protocol<'replica-digest', { readonly replicas: Pick<ReplicaStore, 'digest'> }> = {
  type: 'replica-digest',
  callers: 'member',
  serve ({ replicas }, request) {
    const digest = replicas.digest(validateKey(request.key))
    return { type: 'hashes', hashes: digest === null ? [] : [digest] }
  }
}

/**
 * The digest of `peer`'s version of `key` (null: it holds none), or 'unsupported' when the
 * peer does not know this request (an older version answers 'bad-request': ask it
 * `replica-get`). Throws when the peer is silent or answers anything else.
 */
export function askReplicaDigest (rpc: PeerRpc, peer: PeerId, key: Key): Promise<Uint8Array | null | 'unsupported'> {
  return askDigest(rpc, peer, { type: 'replica-digest', key })
}

/** A digest request of either side (this one, or client-digest.ts): one digest or none, 'unsupported' from an older peer. */
export function askDigest (rpc: PeerRpc, peer: PeerId, request: Extract<Request, { readonly type: 'replica-digest' | 'client-digest' }>): Promise<Uint8Array | null | 'unsupported'> {
  return rpc.expect(peer, request, 'hashes').then(({ hashes }) => {
    if (hashes.length > 1) throw new RemoteError(peer, 'bad-response', `${hashes.length} digests for one key`)
    return hashes[0] ?? null
  }, (error: unknown) => {
    if (error instanceof RemoteError && error.code === 'bad-request') return 'unsupported'
    throw error
  })
}
