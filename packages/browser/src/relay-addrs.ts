/**
 * The addresses a tab announces in its member record. Other members learn them through the
 * shared AddressBook (@ringstore/net-libp2p) with the browserDialable filter.
 */
import type { PeerId } from '@ringstore/core'

/**
 * The addresses this tab announces in its member record: WebRTC through each bootstrap
 * daemon's relay. Known before any reservation exists (they name the relay, not a port of
 * ours), so the record is right from the start; one whose relay holds no reservation for
 * us simply fails to dial and the dialler tries the next.
 */
export function relayedWebRtcAddrs (bootstrap: readonly string[], self: PeerId): string[] {
  return bootstrap
    .filter((addr) => /\/p2p\/[^/]+$/.test(addr) && !addr.includes('/p2p-circuit'))
    .map((addr) => `${addr}/p2p-circuit/webrtc/p2p/${self}`)
}
