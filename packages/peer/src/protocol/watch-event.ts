/**
 * `watch-event`: a member pushes its new version of a key to a peer that watches it
 * (client-watch.ts). Only members may push (a client's claims about a key go through
 * client-put); the receiver merges the version into its local replica, as it would a
 * read's, and tells its listeners (coordinator/watches.ts).
 */
import { validateKey } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import { checkClock } from './checks.js'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

/** Where pushed versions go on the watching peer. */
export interface WatchSink {
  deliver(key: Key, clock: DvvSet, from: PeerId): Promise<void>
}

export const watchEvent: Protocol<'watch-event', { readonly watchSink: WatchSink }> = {
  type: 'watch-event',
  callers: 'member',
  async serve ({ watchSink }, request, from) {
    await watchSink.deliver(validateKey(request.key), checkClock(request.clock), from)
    return { type: 'ok' }
  }
}

/** Push `clock` of `key` to the watcher `peer`. */
export async function askWatchEvent (rpc: PeerRpc, peer: PeerId, key: Key, clock: DvvSet): Promise<void> {
  await rpc.expect(peer, { type: 'watch-event', key, clock }, 'ok')
}
