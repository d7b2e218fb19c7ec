/**
 * `ping`: the cheapest liveness check, nothing read or written. The failure detector probes
 * unreachable members with it, and a forwarded put asks it of a slow coordinator to tell a
 * paused peer from a busy one (coordinate-put.ts).
 */
import type { PeerId } from '@ringstore/core'
import type { Protocol } from './protocol.js'
import type { PeerRpc } from './rpc.js'

export const ping: Protocol<'ping', unknown> = {
  type: 'ping',
  callers: 'any',
  serve () {
    return { type: 'ok' }
  }
}

/**
 * Resolves when `peer` answers, with any reply: even an error reply (an older peer that
 * does not know `ping`) proves it alive. Throws when it is silent or unreachable.
 */
export async function askPing (rpc: PeerRpc, peer: PeerId, timeoutMs?: number): Promise<void> {
  await rpc.send(peer, { type: 'ping' }, timeoutMs)
}
