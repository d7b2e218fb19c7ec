/**
 * The browser peer's libp2p connection gater, which is also the fault injector's switch.
 *
 * - It replaces the browser default, which refuses private addresses and plain `ws://`:
 *   daemons on this machine listen on `ws://127.0.0.1`.
 * - Offline: every dial and every incoming connection is refused.
 * - A blocked peer: dials to it (directly or with it as the relay), connections from it
 *   and circuits through it are refused.
 *
 * Refusing new connections is half of a partition; the fault injector (faults.ts) also
 * hangs up the connections that exist.
 */
import type { ConnectionGater, PeerId as Libp2pPeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export class FaultGater implements ConnectionGater {
  offline = false
  readonly blocked = new Set<string>()

  /** True when a connection with `peer` must not exist now. */
  denies (peer: Libp2pPeerId | string): boolean {
    return this.offline || this.blocked.has(peer.toString())
  }

  denyDialPeer (peer: Libp2pPeerId): boolean {
    return this.denies(peer)
  }

  /** Every `/p2p/` in the address counts: the relay of a circuit as much as its target. */
  denyDialMultiaddr (addr: Multiaddr): boolean {
    if (this.offline) return true
    return peersIn(addr).some((peer) => this.blocked.has(peer))
  }

  denyInboundConnection (): boolean {
    return this.offline
  }

  denyOutboundConnection (peer: Libp2pPeerId): boolean {
    return this.denies(peer)
  }

  denyInboundEncryptedConnection (peer: Libp2pPeerId): boolean {
    return this.denies(peer)
  }

  denyOutboundEncryptedConnection (peer: Libp2pPeerId): boolean {
    return this.denies(peer)
  }

  denyInboundUpgradedConnection (peer: Libp2pPeerId): boolean {
    return this.denies(peer)
  }

  denyOutboundUpgradedConnection (peer: Libp2pPeerId): boolean {
    return this.denies(peer)
  }

  denyInboundRelayReservation (source: Libp2pPeerId): boolean {
    return this.denies(source)
  }

  denyOutboundRelayedConnection (source: Libp2pPeerId, destination: Libp2pPeerId): boolean {
    return this.denies(source) || this.denies(destination)
  }

  denyInboundRelayedConnection (relay: Libp2pPeerId, remote: Libp2pPeerId): boolean {
    return this.denies(relay) || this.denies(remote)
  }
}

/** The peer ids named in an address (`/p2p/<id>` components), relay first. */
export function peersIn (addr: Multiaddr): string[] {
  return addr.getComponents().filter((c) => c.name === 'p2p' && c.value !== undefined).map((c) => c.value as string)
}
