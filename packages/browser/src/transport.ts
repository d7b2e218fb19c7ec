/** How a libp2p connection reaches its peer, for status displays and the fault injector. */
import type { Connection } from '@libp2p/interface'

export type ConnectionTransport = 'websocket' | 'webrtc' | 'relay' | 'other'

/**
 * From the remote address: a WebRTC connection's address still names the relay it was
 * signalled through (`…/p2p-circuit/webrtc/…`) but no longer depends on it; a relayed one
 * is `…/p2p-circuit/…` and carries limits.
 */
export function transportOf (connection: Pick<Connection, 'remoteAddr' | 'limits'>): ConnectionTransport {
  const names = connection.remoteAddr.getComponents().map((c) => c.name)
  if (names.includes('webrtc')) return 'webrtc'
  if (names.includes('p2p-circuit') || connection.limits !== undefined) return 'relay'
  if (names.includes('ws') || names.includes('wss')) return 'websocket'
  return 'other'
}
