/**
 * The admission certificate each member's gossiped record carried, as GET /status shows
 * it. The engine keeps every member's certificate with its signed record but does not
 * expose them (Peer.members() returns bare records), so the daemon notes them on the way
 * in: it wraps the Network it gives the Peer and reads every announcement delivered to
 * `onAnnounce`. Only announcements that passed the network's admission check get there
 * (net-libp2p's gossip guard: the authority signed the certificate and it fits the
 * record), and every member heartbeats its record with its certificate every couple of
 * seconds, so a live member's certificate is known shortly after start. A member that has
 * not gossiped since this daemon started (it is down) has none noted yet.
 */
import type { Admission, PeerId } from '@ringstore/core'
import type { Network, NetworkHandlers } from '@ringstore/peer'

/**
 * Bound on the certificates kept. Only admitted peers get here, so this is a bound on the
 * cluster's size, not on what an outsider can send; a cluster past it shows the rest as
 * unknown.
 */
const MAX_SIGHTINGS = 4096

export class AdmissionSightings {
  readonly #seen = new Map<PeerId, Admission>()

  /** The certificate `peer` last gossiped with, if any was seen. */
  get (peer: PeerId): Admission | undefined {
    return this.#seen.get(peer)
  }

  /** `network`, noting the admission of every announcement it delivers. */
  wrap (network: Network): Network {
    return {
      get localPeer () { return network.localPeer },
      start: async (handlers: NetworkHandlers) => {
        await network.start({
          ...handlers,
          onAnnounce: (from, signed) => {
            this.note(signed.record.id, signed.admission?.admission)
            handlers.onAnnounce(from, signed)
          }
        })
      },
      stop: async () => { await network.stop() },
      request: async (peer, request, timeoutMs) => await network.request(peer, request, timeoutMs),
      announce: (signed) => { network.announce(signed) },
      dial: async (address) => await network.dial(address),
      connectedPeers: () => network.connectedPeers()
    }
  }

  /** Notes `admission` for `peer` (our own is noted by the daemon at start: we never receive our own gossip). */
  note (peer: PeerId, admission: Admission | undefined): void {
    if (admission === undefined || admission.peer !== peer) return
    const known = this.#seen.get(peer)
    // A re-admission (new weight or zone) is issued later: keep the newest.
    if (known !== undefined && known.issuedAt > admission.issuedAt) return
    if (known === undefined && this.#seen.size >= MAX_SIGHTINGS) return
    this.#seen.set(peer, admission)
  }
}
