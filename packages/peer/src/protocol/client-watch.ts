/**
 * `client-watch`: live updates, asked of a member: "these are all the keys I watch at you"
 * (a lease, renewed by the watcher: coordinator/watches.ts). The member then pushes every
 * new version of those keys it stores (`watch-event`, cluster/watch-notifier.ts). Only keys
 * the caller may read (per-key rights), and within the registry's bounds
 * (cluster/watch-registry.ts), else the whole request is refused and nothing changes.
 */
import type { Key, PeerId } from '@ringstore/core'
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
}

export const clientWatch: Protocol<'client-watch', Services> = {
  type: 'client-watch',
  callers: 'client',
  serve ({ watchers, membership, clock }, request, from) {
    const keys = checkKeys(request.keys)
    for (const key of keys) checkKeyRights(membership, from, key, 'read')
    watchers.renew(from, keys, clock.now())
    return { type: 'ok' }
  }
}

/** Tell `peer` that exactly `keys` are watched there by us (empty: none); resolves once taken. */
export async function askClientWatch (rpc: PeerRpc, peer: PeerId, keys: readonly Key[]): Promise<void> {
  await rpc.expect(peer, { type: 'client-watch', keys }, 'ok')
}
