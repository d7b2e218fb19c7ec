/**
 * `replica-get-many`: one replica's versions of many keys. Asked by anti-entropy to fetch
 * the keys whose versions differ, and by tombstone GC to check that every replica holds a
 * tombstone before it is dropped.
 */
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { RemoteError } from '../errors.js'
import { checkKeys } from './checks.js'
import type { Protocol } from './protocol.js'
import { checkReplyFits } from './reply-size.js'
import type { PeerRpc } from './rpc.js'

export const replicaGetMany: Protocol<'replica-get-many', { readonly replicas: Pick<ReplicaStore, 'getMany'> }> = {
  type: 'replica-get-many',
  callers: 'member',
  async serve ({ replicas }, request) {
    const keys = checkKeys(request.keys)
    const clocks = await replicas.getMany(keys)
    const items = keys.map((key, i) => [key, clocks[i] ?? null] as const)
    checkReplyFits(items)
    return { type: 'clocks', items }
  }
}

/**
 * `peer`'s versions of `keys` (null = absent; a key it did not answer is missing from the
 * map). The reply carries values whose sizes only the other side knows: a reply refused as
 * 'too-large' is asked again in halves, and so is one refused 'internal' (what a peer of an
 * older version answers when its reply fails to encode). A single key refused either way is
 * left unanswered, so the other keys are still fetched: a version too large for one frame
 * reaches us the other way, pushed in parts by the replica holding it (anti-entropy pushes
 * its own version of a key it could not fetch: cluster/anti-entropy-walk.ts).
 */
export async function askReplicaGetMany (rpc: PeerRpc, peer: PeerId, keys: readonly Key[]): Promise<Map<Key, DvvSet | null>> {
  try {
    const reply = await rpc.expect(peer, { type: 'replica-get-many', keys }, 'clocks')
    const asked = new Set(keys)
    return new Map(reply.items.filter(([key]) => asked.has(key)))
  } catch (error) {
    if (!(error instanceof RemoteError && (error.code === 'too-large' || error.code === 'internal'))) throw error
    if (keys.length < 2) return new Map()
    const half = Math.ceil(keys.length / 2)
    const first = await askReplicaGetMany(rpc, peer, keys.slice(0, half))
    const second = await askReplicaGetMany(rpc, peer, keys.slice(half))
    return new Map([...first, ...second])
  }
}
