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
import type { PeerRpc } from './rpc.js'

export const replicaGetMany: Protocol<'replica-get-many', { readonly replicas: Pick<ReplicaStore, 'getMany'> }> = {
  type: 'replica-get-many',
  callers: 'member',
  async serve ({ replicas }, request) {
    const keys = checkKeys(request.keys)
    const clocks = await replicas.getMany(keys)
    return { type: 'clocks', items: keys.map((key, i) => [key, clocks[i] ?? null] as const) }
  }
}

/**
 * `peer`'s versions of `keys` (null = absent; a key it did not answer is missing from the
 * map). The reply carries values whose sizes only the other side knows: a reply refused as
 * 'too-large' is asked again in halves.
 */
export async function askReplicaGetMany (rpc: PeerRpc, peer: PeerId, keys: readonly Key[]): Promise<Map<Key, DvvSet | null>> {
  try {
    const reply = await rpc.expect(peer, { type: 'replica-get-many', keys }, 'clocks')
    const asked = new Set(keys)
    return new Map(reply.items.filter(([key]) => asked.has(key)))
  } catch (error) {
    if (!(error instanceof RemoteError && error.code === 'too-large') || keys.length < 2) throw error
    const half = Math.ceil(keys.length / 2)
    const first = await askReplicaGetMany(rpc, peer, keys.slice(0, half))
    const second = await askReplicaGetMany(rpc, peer, keys.slice(half))
    return new Map([...first, ...second])
  }
}
