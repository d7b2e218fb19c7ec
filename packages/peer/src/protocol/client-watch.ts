/**
 * `client-watch`: live updates, asked of a member: "these are all the keys I watch at you"
 * (a lease, renewed by the watcher: coordinator/watches.ts). The member then pushes every
 * new version of those keys it stores (`watch-event`, cluster/watch-notifier.ts). Only keys
 * the caller may read (per-key rights), and within the registry's bounds
 * (cluster/watch-registry.ts), else the whole request is refused and nothing changes.
 *
 * Asked with `digests`, the member answers the digest of its version of each of those keys
 * it stores (`entries`): a push can be lost on the way (a flaky link the failure detector
 * never saw), and the watcher, comparing with the last version it heard from this member,
 * fetches what differs. So a lost push costs at most one renewal period, never the update.
 */
import type { Key, PeerId } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import type { Clock } from '../interfaces.js'
import type { WatchRegistry } from '../cluster/watch-registry.js'
import { checkKeyRights, checkKeys } from './checks.js'
import type { MemberRoles } from './checks.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

interface Services {
  readonly watchers: Pick<WatchRegistry, 'renew'>
  readonly membership: MemberRoles
  readonly clock: Pick<Clock, 'now'>
  readonly replicas: Pick<ReplicaStore, 'digest'>
}

export const clientWatch: Protocol<'client-watch', Services> = {
  type: 'client-watch',
  callers: 'client',
  serve ({ watchers, membership, clock, replicas }, request, from) {
    const keys = checkKeys(request.keys)
    for (const key of keys) checkKeyRights(membership, from, key, 'read')
    watchers.renew(from, keys, clock.now())
    if (request.digests !== true) return { type: 'ok' }
    const entries: Array<readonly [Key, Uint8Array]> = []
    for (const key of keys) {
      const digest = replicas.digest(key)
      if (digest !== null) entries.push([key, digest])
    }
    return { type: 'entries', entries }
  }
}

/**
 * Tell `peer` that exactly `keys` are watched there by us (empty: none); resolves once
 * taken, with the member's digest of each of those keys it stores.
 */
export async function askClientWatch (rpc: PeerRpc, peer: PeerId, keys: readonly Key[]): Promise<ReadonlyMap<Key, Uint8Array>> {
  const answer = await rpc.expect(peer, { type: 'client-watch', keys, digests: true }, 'entries')
  return new Map(answer.entries)
}

