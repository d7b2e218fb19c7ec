/**
 * createBrowserPeer: one call builds a ringstore peer in a browser tab — IndexedDB storage
 * and identity under a per-tab (or given) name, a libp2p node with WebSockets to the
 * bootstrap daemons and WebRTC to other tabs, the replication engine on top, fault
 * injection, and change notifications for UIs.
 *
 * Offline: the engine is always writeable at W=1. With nobody reachable a put is stored
 * locally (durably: IndexedDB's commit) with hints for its preference list and reads are
 * served from the local replica; when a connection comes back, libp2p's connection event
 * reaches the engine (Libp2pNetwork → failure detector), which delivers the hints at once.
 */
import type { Libp2p } from '@libp2p/interface'
import type { SignedAdmission } from '@ringstore/core'
import { AddressBook, Libp2pNetwork, Libp2pSigner, browserDialable } from '@ringstore/net-libp2p'
import { Peer, SystemClock } from '@ringstore/peer'
import type {
  GetOptions, GetResult, Logger, PeerConfig, PeerStatus, PutOptions, PutResult, WatchListener
} from '@ringstore/peer'
import { relayedWebRtcAddrs } from './relay-addrs.js'
import { TabChannel } from './tab-channel.js'
import { createBrowserLibp2p } from './browser-libp2p.js'
import { CHANGE_POLL_MS } from './constants.js'
import type { BrowserServices } from './browser-libp2p.js'
import { FaultGater } from './fault-gater.js'
import { FaultInjector } from './faults.js'
import type { Faults } from './faults.js'
import { IdbStorage } from './idb-storage.js'
import { loadOrCreateIdentity } from './identity.js'
import { claimPeerName } from './tab-name.js'
import { transportOf } from './transport.js'
import type { ConnectionTransport } from './transport.js'
import type { ReleaseName } from './tab-name.js'

export interface BrowserPeerOptions {
  /** Daemon multiaddrs, e.g. '/ip4/127.0.0.1/tcp/PORT/ws/p2p/<id>'. */
  readonly bootstrap: readonly string[]
  /** Storage/identity namespace; default: a per-tab id kept in sessionStorage (survives reload, distinct per tab). */
  readonly name?: string
  /** Default 0: a light peer (coordinates, keeps a replica of what it reads and writes, owns nothing). */
  readonly weight?: number
  /** Default 'ringstore'. */
  readonly cluster?: string
  /**
   * n, r, w, q (must match the daemons': q default 1024), timers, and `clusterId` (the
   * daemons' GET /status says it): with it, this peer takes as members only peers admitted
   * by that cluster's authority, so a stranger's records never route its data.
   */
  readonly config?: Partial<PeerConfig>
  /**
   * This tab's certificate from `ringstore admit` (for its peer id): needed to be a member
   * (weight > 0) of a cluster with an id. Its cluster is the default `config.clusterId`.
   */
  readonly admission?: SignedAdmission
  /** Default true: listen on /p2p-circuit + /webrtc through a daemon relay, dial tabs over WebRTC. */
  readonly webrtc?: boolean
  /** Engine and adapter logs (default: silent). */
  readonly logger?: Logger
}

export type BrowserPeerStatus = PeerStatus & {
  /** Not forced offline and at least one live connection. */
  readonly online: boolean
  readonly connections: Array<{ peer: string, transport: ConnectionTransport }>
  /** Peers blocked by fault injection. */
  readonly blocked: string[]
}

export interface BrowserPeer {
  readonly id: string
  /** The storage/identity name this peer runs under. */
  readonly name: string
  /** The engine: get/put/delete/status() and the maintenance hooks. */
  readonly peer: Peer
  /** The libp2p node (for diagnostics: listen addresses, connections). */
  readonly libp2p: Libp2p<BrowserServices>
  get(key: string, opts?: GetOptions): Promise<GetResult>
  put(key: string, value: Uint8Array, opts?: PutOptions): Promise<PutResult>
  delete(key: string, opts?: PutOptions): Promise<PutResult>
  status(): BrowserPeerStatus
  readonly faults: Faults
  /**
   * Live updates: `listener` hears every new version of `key` this tab learns of, from any
   * writer, pushed by the members (the engine's Peer.watch); returns the unsubscribe.
   */
  watch(key: string, listener: WatchListener): () => void
  /** Fires on connection, hint and membership changes (for UIs); returns the unsubscribe. */
  onChange(listener: () => void): () => void
  stop(): Promise<void>
}

export const DEFAULT_CLUSTER = 'ringstore'

const SILENT: Logger = { debug () {}, info () {}, warn () {}, error () {} }

export async function createBrowserPeer (options: BrowserPeerOptions): Promise<BrowserPeer> {
  const { name, release } = await claimPeerName(options.name)
  let storage: IdbStorage | undefined
  try {
    storage = await IdbStorage.open(name)
    return await assemble(options, name, storage, release)
  } catch (error) {
    await storage?.close().catch(() => undefined)
    release()
    throw error
  }
}

async function assemble (options: BrowserPeerOptions, name: string, storage: IdbStorage, release: ReleaseName): Promise<BrowserPeer> {
  const privateKey = await loadOrCreateIdentity(storage)
  const gater = new FaultGater()
  const webrtc = options.webrtc ?? true
  const node = await createBrowserLibp2p({ privateKey, gater, webrtc })
  const logger = options.logger ?? SILENT
  const clusterId = options.config?.clusterId ?? options.admission?.admission.cluster
  // With a cluster id, gossip from peers without an admission is refused before the engine sees it.
  const network = new Libp2pNetwork(node, { cluster: options.cluster ?? DEFAULT_CLUSTER, log: logger, ...(clusterId === undefined ? {} : { clusterId }) })
  const id = node.peerId.toString()
  const bootstrap = [...options.bootstrap]
  const clock = new SystemClock()
  const peer = new Peer({
    network,
    storage,
    clock,
    signer: new Libp2pSigner(privateKey),
    logger,
    ...(options.admission === undefined ? {} : { admission: options.admission }),
    config: {
      ...options.config,
      ...(clusterId === undefined ? {} : { clusterId }),
      weight: options.weight ?? options.config?.weight ?? 0,
      seeds: bootstrap
    },
    addrs: webrtc ? relayedWebRtcAddrs(bootstrap, id) : []
  })
  const cluster = `${options.cluster ?? DEFAULT_CLUSTER}${clusterId === undefined ? '' : `:${clusterId}`}`
  const browserPeer = new RunningBrowserPeer({ name, peer, node, network, storage, gater, clock, bootstrap, release, logger, cluster })
  try {
    await peer.start()
  } catch (error) {
    // Peer.start stopped what it had started; the storage and the name are closed by the caller.
    clock.clearAll()
    throw error
  }
  browserPeer.started()
  return browserPeer
}

interface Parts {
  readonly name: string
  readonly peer: Peer
  readonly node: Libp2p<BrowserServices>
  readonly network: Libp2pNetwork
  readonly storage: IdbStorage
  readonly gater: FaultGater
  readonly clock: SystemClock
  readonly bootstrap: readonly string[]
  readonly release: ReleaseName
  readonly logger: Logger
  /** The cluster's name (and id, when known): the other tabs' channel is per cluster. */
  readonly cluster: string
}

class RunningBrowserPeer implements BrowserPeer {
  readonly id: string
  readonly name: string
  readonly peer: Peer
  readonly libp2p: Libp2p<BrowserServices>
  readonly faults: FaultInjector
  readonly #parts: Parts
  readonly #listeners = new Set<() => void>()
  readonly #addressBook: AddressBook
  /** The other tabs of this browser (tab-channel.ts). */
  readonly #tabs: TabChannel
  readonly #detach: Array<() => void> = []
  #poll: ReturnType<typeof setInterval> | undefined
  #lastSignature = ''
  #notifyQueued = false
  #stopping: Promise<void> | undefined

  constructor (parts: Parts) {
    this.#parts = parts
    this.id = parts.peer.id
    this.name = parts.name
    this.peer = parts.peer
    const network = parts.network
    this.libp2p = parts.node
    this.faults = new FaultInjector({
      node: parts.node,
      gater: parts.gater,
      bootstrap: parts.bootstrap,
      dial: async (address) => await network.dial(address),
      changed: () => { this.#notify() }
    })
    this.#addressBook = new AddressBook(this.id, () => this.peer.members(), network, parts.logger, browserDialable)
    this.#tabs = new TabChannel(`ringstore-tabs:${parts.cluster}`, parts.peer, parts.logger)
    // Listening from construction on: connections made while the engine starts count too.
    const node = parts.node
    for (const event of ['connection:open', 'connection:close', 'self:peer:update'] as const) {
      const listener = (): void => { this.#notify() }
      node.addEventListener(event, listener)
      this.#detach.push(() => { node.removeEventListener(event, listener) })
    }
  }

  /** Called once the engine runs: background address sync and change polling. */
  started (): void {
    this.#addressBook.start()
    this.#poll = setInterval(() => { this.#pollChanges() }, CHANGE_POLL_MS)
  }

  async get (key: string, opts?: GetOptions): Promise<GetResult> {
    return this.peer.get(key, opts)
  }

  async put (key: string, value: Uint8Array, opts?: PutOptions): Promise<PutResult> {
    try {
      return await this.peer.put(key, value, opts)
    } finally {
      this.#changedHere(key)
    }
  }

  async delete (key: string, opts?: PutOptions): Promise<PutResult> {
    try {
      return await this.peer.delete(key, opts)
    } finally {
      this.#changedHere(key)
    }
  }

  /** After a write here (acknowledged or not: a W=1 write is kept locally either way): the other tabs, the UI. */
  #changedHere (key: string): void {
    void this.#tabs.announce(key).catch(() => undefined)
    this.#pollChanges()
  }

  watch (key: string, listener: WatchListener): () => void {
    return this.peer.watch(key, listener)
  }

  status (): BrowserPeerStatus {
    const connections = this.#parts.node.getConnections()
      .filter((c) => c.status === 'open')
      .map((c) => ({ peer: c.remotePeer.toString(), transport: transportOf(c) }))
    return {
      ...this.peer.status(),
      online: !this.#parts.gater.offline && connections.length > 0,
      connections,
      blocked: [...this.#parts.gater.blocked]
    }
  }

  onChange (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  async stop (): Promise<void> {
    this.#stopping ??= this.#stop()
    await this.#stopping
  }

  async #stop (): Promise<void> {
    clearInterval(this.#poll)
    this.#tabs.close()
    this.#addressBook.stop()
    try {
      await this.peer.stop()
    } finally {
      for (const detach of this.#detach.splice(0)) detach()
      this.#parts.clock.clearAll()
      await this.#parts.storage.close()
      this.#parts.release()
      this.#listeners.clear()
    }
  }

  /** Notifies when what a UI shows of the engine (hints, keys, members) changed. */
  #pollChanges (): void {
    if (!this.peer.running) return
    const status = this.peer.status()
    const members = status.members.map((m) => `${m.id}:${m.status}:${m.reachable ? 1 : 0}:${m.weight}`).join(',')
    const signature = `${status.hintsPending}|${status.keys}|${members}`
    if (signature === this.#lastSignature) return
    this.#lastSignature = signature
    this.#notify()
  }

  /** Listeners run once per burst of events (a reconnect fires several), after the current task. */
  #notify (): void {
    if (this.#notifyQueued) return
    this.#notifyQueued = true
    queueMicrotask(() => {
      this.#notifyQueued = false
      for (const listener of [...this.#listeners]) {
        try {
          listener()
        } catch (error) {
          this.#parts.logger.error('onChange listener threw', { error: String(error) })
        }
      }
    })
  }
}
