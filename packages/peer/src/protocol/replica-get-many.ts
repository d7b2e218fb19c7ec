/**
 * `replica-get-many`: one replica's versions of many keys. Asked by anti-entropy to fetch
 * the keys whose versions differ, and by tombstone GC to check that every replica holds a
 * tombstone before it is dropped.
 */
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import { RemoteError, isUnreachable } from '../errors.js'
import { checkKeys } from './checks.js'
import type { Protocol } from './protocol.js'
import { askReplicaGetParts } from './replica-get.js'
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
 * read part by part (`oneTooLarge`), or left unanswered, so the other keys are still
 * fetched: a version no reply can carry then reaches us the other way, pushed in parts by
 * the replica holding it (anti-entropy pushes its own version of a key it could not fetch:
 * cluster/anti-entropy-walk.ts).
 */
export async function askReplicaGetMany (rpc: PeerRpc, peer: PeerId, keys: readonly Key[]): Promise<Map<Key, DvvSet | null>> {
  try {
    const reply = await rpc.expect(peer, { type: 'replica-get-many', keys }, 'clocks')
    const asked = new Set(keys)
    return new Map(reply.items.filter(([key]) => asked.has(key)))
  } catch (error) {
    if (!(error instanceof RemoteError && (error.code === 'too-large' || error.code === 'internal'))) throw error
    if (keys.length < 2) return await oneTooLarge(rpc, peer, keys)
    const half = Math.ceil(keys.length / 2)
    const first = await askReplicaGetMany(rpc, peer, keys.slice(0, half))
    const second = await askReplicaGetMany(rpc, peer, keys.slice(half))
    return new Map([...first, ...second])
  }
}

/**
 * A single key whose version fits no reply: read part by part (replica-get.ts). Left
 * unanswered when that fails too (an older peer refuses parts), so the caller goes on with
 * the other keys; anti-entropy then pushes its own version of it instead.
 */
async function oneTooLarge (rpc: PeerRpc, peer: PeerId, keys: readonly Key[]): Promise<Map<Key, DvvSet | null>> {
  const [key] = keys
  if (key === undefined) return new Map()
  try {
    return new Map([[key, await askReplicaGetParts(rpc, peer, key)]])
  } catch (error) {
    if (isUnreachable(error)) throw error
    return new Map()
  }
}
