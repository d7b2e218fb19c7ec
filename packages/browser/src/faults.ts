/**
 * Fault injection at the libp2p level, for tests and demos. `context.setOffline(true)` in a
 * browser is not a partition (seen in Chromium): open WebSockets stall silently, their
 * frames held and delivered once back online (libp2p's connection monitor aborts them only
 * after ~7.5 s), and WebRTC keeps working. Here the connection gater refuses new
 * connections and every affected connection is aborted at once, so the engine sees the
 * peers go (and routes around them) exactly as it would on a real cut.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { FaultGater } from './fault-gater.js'
import { peersIn } from './fault-gater.js'
import { transportOf } from './transport.js'

export interface Faults {
  /** Connection gater denies everything, and every connection is hung up. */
  goOffline(): Promise<void>
  /** Allow connections again and redial the bootstrap daemons. */
  goOnline(): Promise<void>
  /** Deny and hang up one peer (and circuits relayed through it). */
  block(peer: string): Promise<void>
  unblock(peer: string): Promise<void>
}

/** Why an injected fault closed a connection (seen in libp2p logs and stream errors). */
export class InjectedFaultError extends Error {
  static override name = 'InjectedFaultError'
  override name = 'InjectedFaultError'
}

/** A peer id given to block/unblock that is not one. */
export class InvalidPeerIdError extends Error {
  static override name = 'InvalidPeerIdError'
  override name = 'InvalidPeerIdError'
}

export interface FaultInjectorOptions {
  readonly node: Libp2p
  readonly gater: FaultGater
  readonly bootstrap: readonly string[]
  /** Dial one address (the engine network's dial: a connection event reaches the engine). */
  readonly dial: (address: string) => Promise<unknown>
  readonly changed: () => void
}

export class FaultInjector implements Faults {
  constructor (private readonly options: FaultInjectorOptions) {}

  async goOffline (): Promise<void> {
    this.options.gater.offline = true
    this.#hangUp(() => true, 'offline')
    this.options.changed()
  }

  async goOnline (): Promise<void> {
    this.options.gater.offline = false
    this.options.changed()
    await this.#redial(this.options.bootstrap)
  }

  async block (peer: string): Promise<void> {
    checkPeerId(peer)
    this.options.gater.blocked.add(peer)
    // Connections with it, and circuits it relays (a WebRTC connection it only signalled stays).
    this.#hangUp((c) => c.remotePeer.toString() === peer || (transportOf(c) === 'relay' && peersIn(c.remoteAddr).includes(peer)), `blocked ${peer}`)
    this.options.changed()
  }

  async unblock (peer: string): Promise<void> {
    checkPeerId(peer)
    this.options.gater.blocked.delete(peer)
    this.options.changed()
    if (this.options.gater.offline) return
    await this.#redial(this.options.bootstrap.filter((addr) => peersIn(multiaddr(addr)).includes(peer)))
  }

  #hangUp (affected: (connection: Connection) => boolean, reason: string): void {
    for (const connection of this.options.node.getConnections()) {
      if (affected(connection)) connection.abort(new InjectedFaultError(`connection cut by fault injection (${reason})`))
    }
  }

  /** Dial the addresses the gater allows; failures are fine (the daemon may be down). */
  async #redial (addresses: readonly string[]): Promise<void> {
    const allowed = addresses.filter((addr) => {
      try {
        return !this.options.gater.denyDialMultiaddr(multiaddr(addr))
      } catch {
        return false
      }
    })
    await Promise.allSettled(allowed.map(async (addr) => await this.options.dial(addr)))
    this.options.changed()
  }
}

function checkPeerId (peer: string): void {
  try {
    peerIdFromString(peer)
  } catch (error) {
    throw new InvalidPeerIdError(`not a peer id: ${JSON.stringify(peer)}`, { cause: error })
  }
}
