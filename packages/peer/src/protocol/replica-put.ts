/**
 * `replica-put`: merge one version into a replica, durably, then acknowledge. Sent by a
 * put's coordinator to the key's other placements and by read repair. With `hintFor` the
 * receiver is a sloppy-quorum fallback and keeps the version as a hint for that peer.
 */
import { validateKey } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Response } from '@ringstore/core'
import type { HintStore, ReplicaStore } from '../components.js'
import { versionParts } from './batches.js'
import { checkClock, checkHintTarget } from './checks.js'
import type { MemberRoles } from './checks.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

/**
 * The ack, without the merged version: no sender reads it back, and sending it would cost
 * an encode here and a decode there of the whole clock, values included, on every put.
 */
const ACK: Response = Object.freeze({ type: 'clock', clock: null })

interface Services {
  readonly id: PeerId
  readonly replicas: Pick<ReplicaStore, 'merge'>
  readonly hints: Pick<HintStore, 'add'>
  readonly membership: MemberRoles
}

export const replicaPut: Protocol<'replica-put', Services> = {
  type: 'replica-put',
  callers: 'member',
  async serve ({ id, replicas, hints, membership }, request) {
    const key = validateKey(request.key)
    const clock = checkClock(request.clock)
    if (request.hintFor === undefined || request.hintFor === id) await replicas.merge(key, clock)
    else await hints.add(checkHintTarget(membership, request.hintFor), key, clock)
    return ACK
  }
}

/**
 * Have `peer` store `clock` for `key` (as a hint for `hintFor` when given). Resolves (with
 * nothing to read) once it is durable there; rejects when the peer refuses or is silent.
 * A version too large for one frame (a merged one: read repair of siblings from replicas
 * that were cut off from each other) goes as actor-disjoint parts, one request each, in
 * turn (batches.ts): once every part is acknowledged the peer holds what the whole gives.
 */
export function askReplicaPut (rpc: PeerRpc, peer: PeerId, key: Key, clock: DvvSet, hintFor?: PeerId): Promise<unknown> {
  const parts = versionParts(clock)
  if (parts.length === 1) return askPart(rpc, peer, key, clock, hintFor)
  return parts.reduce<Promise<unknown>>((previous, part) => previous.then(() => askPart(rpc, peer, key, part, hintFor)), Promise.resolve())
}

function askPart (rpc: PeerRpc, peer: PeerId, key: Key, clock: DvvSet, hintFor?: PeerId): Promise<unknown> {
  const request = hintFor === undefined
    ? { type: 'replica-put' as const, key, clock }
    : { type: 'replica-put' as const, key, clock, hintFor }
  return rpc.expect(peer, request, 'clock')
}
