/**
 * Keeps libp2p's peer store in step with the member table (shared by the daemon and the
 * browser peer; each passes the filter of addresses it can dial): a member's record carries the
 * addresses it listens on, and a request to a member we have no connection with can only
 * dial it if the peer store knows them (a member learnt from another's table a moment ago,
 * or known only from our persisted table after a restart).
 *
 * Two paths: before the first request to a peer (`withAddressBook` wraps the engine's
 * Network, so no request ever dials a member whose record we hold but whose addresses the
 * peer store lacks), and a periodic pass that picks up changed addresses (a member that
 * restarted on another port).
 */
import type { MemberRecord, PeerId, Request, Response } from '@ringstore/core'
import type { Logger, Network, NetworkHandlers } from '@ringstore/peer'
import { ADDRESS_SYNC_INTERVAL_MS, LOOKUP_RETRY_MS } from './constants.js'

export interface AddressTarget {
  addAddresses(peer: PeerId, addrs: readonly string[]): Promise<void>
}

/**
 * Addresses a Node daemon dials other daemons at: plain TCP. WebSockets (Node 20 has no
 * global WebSocket to dial with), relay circuits and WebRTC are for browsers.
 */
export function daemonDialable (addr: string): boolean {
  return addr.includes('/tcp/') && !/\/(ws|wss|tls|p2p-circuit|webrtc|webrtc-direct|webtransport)(\/|$)/.test(addr)
}

/** Addresses a browser can dial: WebSockets (not through a relay) and WebRTC through a relay. */
export function browserDialable (addr: string): boolean {
  if (/\/p2p-circuit\/webrtc(\/|$)/.test(addr)) return true
  return /\/(ws|wss|tls\/ws)(\/|$)/.test(addr) && !addr.includes('/p2p-circuit')
}

export class AddressBook {
  /** Per member, the addresses last handed to the peer store (joined). */
  readonly #known = new Map<PeerId, string>()
  /** Per member without a usable record, when we last looked. */
  readonly #lookedUp = new Map<PeerId, number>()
  #timer: ReturnType<typeof setInterval> | undefined

  /** `members` may return [] until the peer exists (it is built after the network). */
  constructor (
    private readonly self: PeerId,
    private readonly members: () => readonly MemberRecord[],
    private readonly target: AddressTarget,
    private readonly log: Logger,
    /** Which member addresses this host can dial (daemonDialable, browserDialable). */
    private readonly dialable: (addr: string) => boolean = daemonDialable
  ) {}

  start (): void {
    void this.sync()
    this.#timer = setInterval(() => { void this.sync() }, ADDRESS_SYNC_INTERVAL_MS)
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** True once `peer`'s addresses were handed to the peer store. */
  has (peer: PeerId): boolean {
    return this.#known.has(peer)
  }

  /** Before a request: make sure the peer store knows `peer`'s addresses if its record has any. */
  async ensure (peer: PeerId): Promise<void> {
    if (this.#known.has(peer) || peer === this.self) return
    const now = performance.now()
    if (now - (this.#lookedUp.get(peer) ?? -Infinity) < LOOKUP_RETRY_MS) return
    this.#lookedUp.set(peer, now)
    const record = this.members().find((m) => m.id === peer)
    if (record !== undefined) await this.#teach(record)
  }

  /** Teaches the peer store every changed member's addresses; returns how many members changed. */
  async sync (): Promise<number> {
    let changed = 0
    for (const member of this.members()) {
      if (await this.#teach(member)) changed++
    }
    return changed
  }

  async #teach (member: MemberRecord): Promise<boolean> {
    if (member.id === this.self || member.status === 'left') return false
    const addrs = member.addrs.filter(this.dialable)
    const joined = addrs.join(' ')
    if (addrs.length === 0 || this.#known.get(member.id) === joined) return false
    try {
      await this.target.addAddresses(member.id, addrs)
      this.#known.set(member.id, joined)
      this.#lookedUp.delete(member.id)
      return true
    } catch (error) {
      // Tried again on the next pass (nothing was recorded).
      this.log.debug('could not record member addresses', { peer: member.id, error })
      return false
    }
  }
}

/** `network` for the engine, with every request preceded by `book.ensure(peer)` while needed. */
export function withAddressBook (network: Network, book: AddressBook): Network {
  return {
    get localPeer () { return network.localPeer },
    start: async (handlers: NetworkHandlers) => { await network.start(handlers) },
    stop: async () => { await network.stop() },
    request: async (peer: PeerId, request: Request, timeoutMs: number): Promise<Response> => {
      if (!book.has(peer)) await book.ensure(peer)
      return await network.request(peer, request, timeoutMs)
    },
    announce: (signed) => { network.announce(signed) },
    announceRemoval: (removal) => { network.announceRemoval(removal) },
    dial: async (address) => await network.dial(address),
    connectedPeers: () => network.connectedPeers()
  }
}
