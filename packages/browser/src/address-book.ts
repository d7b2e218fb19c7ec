/**
 * Keeps libp2p's peer store in step with the member table, for the addresses a browser
 * can dial: daemons' WebSockets addresses and other tabs' `/p2p-circuit/webrtc` addresses.
 * A request to a member we have no connection with can only dial it if the peer store
 * knows them; member records are where they come from (the daemon's address book does the
 * same for TCP). Synced on a timer: records change rarely and a pass is cheap.
 */
import type { MemberRecord, PeerId } from '@ringstore/core'
import type { Logger } from '@ringstore/peer'

/** A second: a member's new address is learned well within the engine's 2 s routing bound. */
export const ADDRESS_SYNC_INTERVAL_MS = 1_000

export interface AddressTarget {
  addAddresses(peer: PeerId, addrs: readonly string[]): Promise<void>
}

/** Addresses a browser can dial: WebSockets (not through a relay) and WebRTC through a relay. */
export function browserDialable (addr: string): boolean {
  if (/\/p2p-circuit\/webrtc(\/|$)/.test(addr)) return true
  return /\/(ws|wss|tls\/ws)(\/|$)/.test(addr) && !addr.includes('/p2p-circuit')
}

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

export class BrowserAddressBook {
  readonly #known = new Map<PeerId, string>()
  #timer: ReturnType<typeof setInterval> | undefined

  constructor (
    private readonly self: PeerId,
    private readonly members: () => readonly MemberRecord[],
    private readonly target: AddressTarget,
    private readonly log: Logger
  ) {}

  start (): void {
    void this.sync()
    this.#timer = setInterval(() => { void this.sync() }, ADDRESS_SYNC_INTERVAL_MS)
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Teaches the peer store every changed member's addresses; returns how many members changed. */
  async sync (): Promise<number> {
    let changed = 0
    for (const member of this.members()) {
      if (member.id === this.self || member.status === 'left') continue
      const addrs = member.addrs.filter(browserDialable)
      const signature = addrs.join(' ')
      if (addrs.length === 0 || this.#known.get(member.id) === signature) continue
      try {
        await this.target.addAddresses(member.id, addrs)
        this.#known.set(member.id, signature)
        changed++
      } catch (error) {
        // Retried on the next pass (the signature was not recorded).
        this.log.debug('could not record member addresses', { peer: member.id, error: String(error) })
      }
    }
    return changed
  }
}
