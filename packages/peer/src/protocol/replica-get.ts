/**
 * `replica-get`: one replica's version of a key (null: it holds none). Asked by a get's
 * coordinator (coordinator/get.ts) of replicas whose digest differs from its own, or of
 * every replica when it holds no version itself. A version too large for one reply frame is
 * refused 'too-large' (reply-size.ts): the asker counts that replica as not answering.
 */
import { validateKey } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import type { Protocol } from './protocol.js'
import { checkReplyFits } from './reply-size.js'
import type { PeerRpc } from './rpc.js'

export const replicaGet: Protocol<'replica-get', { readonly replicas: Pick<ReplicaStore, 'get'> }> = {
  type: 'replica-get',
  callers: 'member',
  async serve ({ replicas }, request) {
    const key = validateKey(request.key)
    const clock = await replicas.get(key)
    checkReplyFits([[key, clock]])
    return { type: 'clock', clock }
  }
}

/** `peer`'s version of `key`, null when it holds none; throws when it refuses or is silent. */
export function askReplicaGet (rpc: PeerRpc, peer: PeerId, key: Key): Promise<DvvSet | null> {
  return rpc.expect(peer, { type: 'replica-get', key }, 'clock').then((response) => response.clock)
}
