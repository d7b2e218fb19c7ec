/**
 * `replica-get`: one replica's version of a key (null: it holds none). Asked by a get's
 * coordinator (coordinator/get.ts) of replicas whose digest differs from its own, or of
 * every replica when it holds no version itself.
 */
import { validateKey } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

export const replicaGet: Protocol<'replica-get', { readonly replicas: Pick<ReplicaStore, 'get'> }> = {
  type: 'replica-get',
  callers: 'member',
  async serve ({ replicas }, request) {
    return { type: 'clock', clock: await replicas.get(validateKey(request.key)) }
  }
}

/** `peer`'s version of `key`, null when it holds none; throws when it refuses or is silent. */
export function askReplicaGet (rpc: PeerRpc, peer: PeerId, key: Key): Promise<DvvSet | null> {
  return rpc.expect(peer, { type: 'replica-get', key }, 'clock').then((response) => response.clock)
}
