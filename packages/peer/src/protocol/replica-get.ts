/**
 * `replica-get`: one replica's version of a key (null: it holds none). Asked by a get's
 * coordinator (coordinator/get.ts) of replicas whose digest differs from its own, or of
 * every replica when it holds no version itself, and by anti-entropy for a single version
 * too large for a `replica-get-many` reply. A version too large for one reply frame is
 * refused 'too-large' (reply-size.ts); the asker then reads it part by part (`after`, core's
 * versions-split.ts `clockPartAfter`) and merges the parts.
 */
import { clockPartAfter, sync, validateKey } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { RemoteError } from '../errors.js'
import { BadRequestError } from './protocol.js'
import type { Protocol } from './protocol.js'
import { REPLY_BYTES, checkReplyFits } from './reply-size.js'
import type { PeerRpc } from './rpc.js'

export const replicaGet: Protocol<'replica-get', { readonly replicas: Pick<ReplicaStore, 'get'> }> = {
  type: 'replica-get',
  callers: 'member',
  async serve ({ replicas }, request) {
    const key = validateKey(request.key)
    const { after } = request
    if (after !== undefined && typeof after !== 'string') throw new BadRequestError('after must be an actor id or empty')
    const clock = await replicas.get(key)
    if (after === undefined || clock === null) {
      checkReplyFits([[key, clock]])
      return { type: 'clock', clock }
    }
    // checkReplyFits counts the key and its item headers on top of the part.
    const { part, next } = clockPartAfter(clock, after, REPLY_BYTES - 3 * key.length - 16)
    checkReplyFits([[key, part]])
    return next === undefined ? { type: 'clock', clock: part } : { type: 'clock', clock: part, next }
  }
}

/**
 * `peer`'s version of `key`, null when it holds none; throws when it refuses or is silent.
 * A version too large for one reply is read in parts (`askReplicaGetParts`).
 */
export function askReplicaGet (rpc: PeerRpc, peer: PeerId, key: Key): Promise<DvvSet | null> {
  return rpc.expect(peer, { type: 'replica-get', key }, 'clock').then((response) => response.clock, (error: unknown) => {
    if (error instanceof RemoteError && error.code === 'too-large') return askReplicaGetParts(rpc, peer, key)
    throw error
  })
}

/**
 * `peer`'s version of `key` read part by part and merged (null when it holds none). Each
 * part must move the cursor forward, so a confused peer cannot keep us asking. Throws what
 * a request throws (an older peer refuses `after` as 'bad-request').
 */
export async function askReplicaGetParts (rpc: PeerRpc, peer: PeerId, key: Key): Promise<DvvSet | null> {
  let merged: DvvSet | null = null
  let after = ''
  for (;;) {
    const reply = await rpc.expect(peer, { type: 'replica-get', key, after }, 'clock')
    if (reply.clock !== null) merged = merged === null ? reply.clock : sync(merged, reply.clock)
    if (reply.next === undefined || reply.clock === null) return merged
    if (!(reply.next > after)) throw new RemoteError(peer, 'bad-response', `part cursor '${reply.next}' does not move past '${after}'`)
    after = reply.next
  }
}
