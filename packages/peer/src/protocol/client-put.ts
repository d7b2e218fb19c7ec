/**
 * `client-put`: a client's own write of one key, delivered to a replica: the client
 * surface's counterpart of the member-only `replica-put`. A client (a browser tab) mints
 * the dots of its own writes (the paper's client-driven coordination) and hands the
 * resulting version to the key's replicas, at once or later as hints.
 *
 * The replica takes from that version only what the client may contribute
 * (core's clientContribution): its own dots, and its claims about other actors' versions
 * only as far as this replica holds them. So a client cannot forge a member's write, poison
 * a counter, or erase a value without writing one of its own. A version with nothing of the
 * client's own in it changes nothing and is acknowledged all the same (a tab's first hints
 * include what it only read).
 *
 * With `hintFor`, this replica is a sloppy-quorum fallback and keeps a hint for that peer
 * (a member only). It cannot check the client's claims about other actors against a
 * version it does not hold, so the hint keeps the client's own entries alone: at worst the
 * write arrives as a sibling of what it meant to supersede, never as a loss.
 */
import { clientContribution, CorruptRecordError, validateKey } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Response } from '@ringstore/core'
import type { HintStore, ReplicaStore } from '../components.js'
import { checkClientGrowth, checkClock, checkHintTarget, checkKeyRights } from './checks.js'
import type { MemberRoles } from './checks.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

const ACK: Response = Object.freeze({ type: 'clock', clock: null })

interface Services {
  readonly id: PeerId
  readonly replicas: Pick<ReplicaStore, 'get' | 'merge'>
  readonly hints: Pick<HintStore, 'add'>
  readonly membership: MemberRoles
}

export const clientPut: Protocol<'client-put', Services> = {
  type: 'client-put',
  callers: 'client',
  async serve ({ id, replicas, hints, membership }, request, from) {
    const key = validateKey(request.key)
    checkKeyRights(membership, from, key, 'write')
    const clock = checkClock(request.clock)
    if (request.hintFor === undefined || request.hintFor === id) {
      // A corrupt copy here vouches for nothing: the client's own dots only (as for a key we lack).
      const local = await replicas.get(key).catch((error: unknown) => {
        if (error instanceof CorruptRecordError) return null
        throw error
      })
      const contribution = clientContribution(clock, from, local)
      if (contribution !== null) {
        checkClientGrowth(local, contribution)
        await replicas.merge(key, contribution)
      }
    } else {
      const target = checkHintTarget(membership, request.hintFor)
      const contribution = clientContribution(clock, from, null)
      if (contribution !== null) {
        checkClientGrowth(null, contribution)
        await hints.add(target, key, contribution)
      }
    }
    return ACK
  }
}

/** Have `peer` store this client's `clock` for `key` (a hint for `hintFor` when given); resolves once durable there. */
export function askClientPut (rpc: PeerRpc, peer: PeerId, key: Key, clock: DvvSet, hintFor?: PeerId): Promise<unknown> {
  const request = hintFor === undefined
    ? { type: 'client-put' as const, key, clock }
    : { type: 'client-put' as const, key, clock, hintFor }
  return rpc.expect(peer, request, 'clock')
}
