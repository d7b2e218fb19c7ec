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
 * does not know `ping`) proves it alive. Throws when it is silent or unreachable. With
 * `report: false` the outcome is not told to the failure detector (the detector's own
 * probes, which decide what a reply means themselves).
 */
export async function askPing (rpc: PeerRpc, peer: PeerId, options: { readonly timeoutMs?: number, readonly report?: boolean } = {}): Promise<void> {
  const request = { type: 'ping' as const }
  if (options.report === false) await rpc.sendUnreported(peer, request, options.timeoutMs)
  else await rpc.send(peer, request, options.timeoutMs)
}
