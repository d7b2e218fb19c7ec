/**
 * createNodeClient: ringstore in a Node program as a *client* of a cluster, as a browser
 * tab is one (@ringstore/browser's createBrowserPeer), with a durable local replica in a
 * directory instead of IndexedDB: weight 0 (it owns nothing and never enters the members'
 * table), per-key rights (docs/trust.md: `cap/<id>/…`, its own `~<peer id>/…`, read
 * `pub/…`), its own coordination of reads and writes through the members' client surface,
 * `watch` pushed by the members, and writes that stay local with hints while the cluster
 * is unreachable (W=1). Embedding a full member instead is `startDaemon` (daemon.ts).
 *
 * @example
 * import { createNodeClient } from 'ringstore'
 * const client = await createNodeClient({ daemon: 'http://127.0.0.1:7070', dataDir: './client' })
 * await client.put(key, bytes); const { values } = await client.get(key)
 */
import { join } from 'node:path'
import {
  AddressBook, Libp2pNetwork, Libp2pSigner, createNodeLibp2p, daemonDialable, fetchBootstrap,
  loadOrCreatePrivateKey, withAddressBook
} from '@ringstore/net-libp2p/node'
import { Peer, SystemClock, silentLogger } from '@ringstore/peer'
import type { GetOptions, GetResult, Logger, PeerConfig, PutOptions, PutResult, WatchListener } from '@ringstore/peer'
import { FsStorage } from '@ringstore/storage-fs'
import { DEFAULT_CLUSTER } from './constants.js'
import { STORE_DIR } from './daemon.js'

export interface NodeClientOptions {
  /**
   * A daemon's HTTP base URL, e.g. 'http://127.0.0.1:7070': its open GET /bootstrap gives
   * the cluster's name, id, q/n/r/w and TCP addresses (what `bootstrap`, `cluster` and
   * `config` would say; given ones win).
   */
  readonly daemon?: string | URL
  /** Daemon TCP multiaddrs with /p2p/<id> (Node 20 cannot dial WebSockets). */
  readonly bootstrap?: readonly string[]
  /** The cluster's name (default 'ringstore'). */
  readonly cluster?: string
  /** n, r, w, q (must match the daemons') and `clusterId`: then only admitted peers are members. */
  readonly config?: Partial<PeerConfig>
  /** The client's identity key (`peer-key`) and local replica (`store/`, LMDB); created if missing. */
  readonly dataDir: string
  /** Engine and adapter logs (default: silent). */
  readonly logger?: Logger
  /**
   * How long createNodeClient waits to know W reachable members (W: the cluster's write
   * quorum) before it resolves, so that a first write can meet its quorum (default
   * 10000; 0: no wait). Past it, it resolves all the same: writes then stay local with
   * hints (W=1) or fail with QuorumNotMetError until the members are reachable.
   */
  readonly readyTimeoutMs?: number
}

/** The default of NodeClientOptions.readyTimeoutMs: a loopback cluster answers in well under a second. */
export const CLIENT_READY_TIMEOUT_MS = 10_000
/** How often the ready wait looks at the member table (local, cheap). */
const READY_POLL_MS = 50

export interface NodeClient {
  /** This client's peer id (its own keys are `~<id>/…`). */
  readonly id: string
  /** The engine, for status() and the rest of its API. */
  readonly peer: Peer
  get(key: string, opts?: GetOptions): Promise<GetResult>
  put(key: string, value: Uint8Array, opts?: PutOptions): Promise<PutResult>
  delete(key: string, opts?: PutOptions): Promise<PutResult>
  /** Every new version of `key` this client learns of, from any writer; returns the unsubscribe. */
  watch(key: string, listener: WatchListener): () => void
  stop(): Promise<void>
}

export async function createNodeClient (options: NodeClientOptions): Promise<NodeClient> {
  const found = options.daemon === undefined ? undefined : await fetchBootstrap(options.daemon, { transport: 'tcp' })
  const bootstrap = [...(options.bootstrap ?? found?.bootstrap ?? [])]
  if (bootstrap.length === 0) throw new TypeError('createNodeClient: give `daemon` (an HTTP URL) or `bootstrap` (TCP multiaddrs)')
  const config = { ...found?.config, ...options.config }
  const logger = options.logger ?? silentLogger
  const privateKey = await loadOrCreatePrivateKey(options.dataDir)
  // No listen address: members never dial a client; it keeps its own connections to them.
  const node = await createNodeLibp2p({ listen: [], privateKey })
  const storage = await FsStorage.open(join(options.dataDir, STORE_DIR))
  let peer: Peer | undefined
  const clock = new SystemClock()
  try {
    const network = new Libp2pNetwork(node, {
      cluster: options.cluster ?? found?.cluster ?? DEFAULT_CLUSTER,
      log: logger,
      ...(config.clusterId === undefined ? {} : { clusterId: config.clusterId })
    })
    // The members' records carry their addresses: a request to a replica we have no
    // connection with dials it at its TCP address (net-libp2p's address book).
    const book = new AddressBook(node.peerId.toString(), () => peer?.members() ?? [], network, logger, daemonDialable)
    peer = new Peer({
      network: withAddressBook(network, book),
      storage,
      clock,
      signer: new Libp2pSigner(privateKey),
      logger,
      config: { ...config, weight: 0, seeds: bootstrap }
    })
    await peer.start()
    book.start()
    await knowsQuorum(peer, options.readyTimeoutMs ?? CLIENT_READY_TIMEOUT_MS)
    return running(peer, storage, clock, book)
  } catch (error) {
    clock.clearAll()
    await Promise.resolve(node.stop()).catch(() => undefined)
    await storage.close().catch(() => undefined)
    throw error
  }
}

/** Resolves once `peer` knows W reachable members that own partitions, or after `timeoutMs`. */
async function knowsQuorum (peer: Peer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const enough = (): boolean => peer.status().members.filter((m) => m.weight > 0 && m.reachable).length >= peer.config.w
  while (!enough() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS))
}

function running (peer: Peer, storage: FsStorage, clock: SystemClock, book: AddressBook): NodeClient {
  let stopping: Promise<void> | undefined
  return {
    id: peer.id,
    peer,
    get: async (key, opts) => await peer.get(key, opts),
    put: async (key, value, opts) => await peer.put(key, value, opts),
    delete: async (key, opts) => await peer.delete(key, opts),
    watch: (key, listener) => peer.watch(key, listener),
    stop: async () => {
      stopping ??= (async () => {
        book.stop()
        // Stops the network and the libp2p node too.
        await peer.stop()
        clock.clearAll()
        await storage.close()
      })()
      await stopping
    }
  }
}
