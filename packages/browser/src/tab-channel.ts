/**
 * Tabs of one browser in step while it is offline: each tab is a peer of its own (its own
 * name, identity and IndexedDB), so without the network one tab's write would reach another
 * only once both are back online. After each write a tab posts the key's version on a
 * BroadcastChannel of its origin (as y-webrtc and automerge-repo do between tabs); the
 * other tabs merge it into their local replicas (Peer.mergeLocal), where their watchers
 * hear it. Online or not: it costs one message per write and saves a push's round trip.
 *
 * The channel is the origin's own (BroadcastChannel never crosses origins), so what it
 * carries is trusted like the tab's own writes. Each tab still delivers only its own
 * writes to the members (its hints), so nothing is written twice to the ring.
 */
import { decodeClock, encodeClock } from '@ringstore/core'
import type { Peer } from '@ringstore/peer'
import type { Logger } from '@ringstore/peer'

interface TabMessage {
  readonly from: string
  readonly key: string
  readonly clock: Uint8Array
}

export class TabChannel {
  readonly #channel: BroadcastChannel | undefined
  readonly #peer: Peer
  readonly #log: Logger

  /** `name`: one channel per cluster, so two clusters' tabs of one origin stay apart. */
  constructor (name: string, peer: Peer, log: Logger) {
    this.#peer = peer
    this.#log = log
    this.#channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(name)
    if (this.#channel !== undefined) this.#channel.onmessage = (event: MessageEvent<TabMessage>) => { void this.#receive(event.data) }
  }

  /** Tells the other tabs this tab's version of `key` (after a write of it). */
  async announce (key: string): Promise<void> {
    if (this.#channel === undefined) return
    const clock = await this.#peer.localGet(key)
    if (clock === null) return
    const message: TabMessage = { from: this.#peer.id, key, clock: encodeClock(clock) }
    this.#channel.postMessage(message)
  }

  close (): void {
    this.#channel?.close()
  }

  async #receive (message: TabMessage): Promise<void> {
    if (message.from === this.#peer.id || !this.#peer.running) return
    try {
      await this.#peer.mergeLocal(message.key, decodeClock(message.clock))
    } catch (error) {
      this.#log.warn('ignoring a tab message', { from: message.from, error: String(error) })
    }
  }
}
