/**
 * The daemon: one engine Peer with filesystem storage and a libp2p node, plus the HTTP API.
 *
 * Start order: lock the data dir → refuse it if its peer left the cluster (left-marker.ts)
 * → identity key → cluster and admission (trust.ts) → storage (refused when it is missing
 * or emptied under this identity, store-marker.ts, or its pages are damaged: storage-fs
 * checks them before mapping the file) → libp2p node (started
 * first, so its real listen addresses, port 0 resolved, go into our member record) → peer
 * (joins through the bootstrap addresses) → address book → HTTP → DATA_DIR/daemon.json
 * (daemon-file.ts: where operator commands find us). Stop runs it backwards: daemon.json
 * and HTTP first (no new client requests), then a leave in progress, the peer (timers,
 * network, node), then storage.
 * Every acknowledged write was already durable (FsStorage resolves after fdatasync), so a
 * SIGKILL at any point loses nothing acknowledged; a clean stop only saves the work of
 * re-announcing and re-delivering.
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { AddressBook, Libp2pNetwork, Libp2pSigner, createNodeLibp2p, daemonDialable, loadOrCreatePrivateKey, withAddressBook } from '@ringstore/net-libp2p/node'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { MemberRecord } from '@ringstore/core'
import { Peer, SystemClock } from '@ringstore/peer'
import type { Logger } from '@ringstore/peer'
import { FsStorage } from '@ringstore/storage-fs'
import type { DaemonOptions } from './args.js'
import { writeDaemonFile } from './daemon-file.js'
import { createHttpApi } from './http/server.js'
import { defaultTokenFile, loadOrCreateTokenFile } from './http-token.js'
import { Leave } from './leave.js'
import { unfinishedLeave } from './left-marker.js'
import { lockDataDir } from './lock.js'
import { ContextSeal } from './http/context-seal.js'
import { checkStorePresent, reconcileStoreId } from './store-marker.js'
import { resolveTrust } from './trust.js'
import { ShutdownSequence } from './shutdown.js'
import { SHUTDOWN_STEP_BOUND_MS } from './constants.js'
import type { Trust } from './trust.js'

/** The LMDB environment's folder inside the data dir (beside the key file and the pid file). */
export const STORE_DIR = 'store'

export interface RunningDaemon {
  readonly peerId: string
  /** The cluster id (its authority's public key). */
  readonly clusterId: string
  /** The secret this daemon admitted itself with (absent with --admission), and whether it was the data dir's default one. */
  readonly secret?: Trust['secret']
  /** libp2p addresses with /p2p/ suffix. */
  readonly addrs: string[]
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:7070 */
  readonly http: string
  /** The HTTP API's bearer token file (absolute): clients read the token there. */
  readonly tokenFile: string
  readonly peer: Peer
  /** Resolves once this daemon left the cluster and handed everything off (leave.ts): stop it then. */
  readonly left: Promise<void>
  /** Idempotent; resolves once everything is closed. */
  stop (): Promise<void>
}

export async function startDaemon (options: DaemonOptions, log: Logger): Promise<RunningDaemon> {
  // Steps to undo, most recent first, if start fails half way (and on stop).
  const undo = new ShutdownSequence(log, SHUTDOWN_STEP_BOUND_MS)
  try {
    await mkdir(options.dataDir, { recursive: true })
    undo.add('data-dir lock', await lockDataDir(options.dataDir))
    const resuming = await unfinishedLeave(options.dataDir)
    const privateKey = await loadOrCreatePrivateKey(options.dataDir)
    // Before storage and network: a wrong certificate or secret refuses the start at once.
    const trust = await resolveTrust(options, privateKey, log)
    // Before the network too: a token file others can read refuses the start at once.
    const token = await loadOrCreateTokenFile(options.httpTokenFile ?? defaultTokenFile(options.dataDir))
    const storeDir = join(options.dataDir, STORE_DIR)
    const expectedStore = await checkStorePresent(options.dataDir, storeDir, options.allowEmptyStore)
    const storage = await FsStorage.open(storeDir)
    undo.add('store', async () => { await storage.close() })
    await reconcileStoreId(options.dataDir, storage, expectedStore, options.allowEmptyStore, log)
    const { peer, network, addrs } = await startPeer(options, trust, privateKey, storage, resuming !== undefined, log, undo)
    const leave = new Leave({ peer, dataDir: resolve(options.dataDir), log: scoped(log, 'leave') })
    undo.add('leave', async () => { leave.stop() })
    if (resuming !== undefined) {
      log.warn('this peer left the cluster but had not handed everything off: finishing the hand-off, then stopping', { peerId: peer.id, leftAt: resuming.leftAt })
      leave.resume(resuming.leftAt)
    }

    const api = createHttpApi({
      peer,
      network: network.stats,
      cluster: options.cluster,
      clusterId: trust.clusterId,
      maxBodyBytes: options.maxBodyBytes,
      maxInflight: options.maxInflight,
      addrs,
      connected: () => network.connectedPeers(),
      admissions: { get: (id) => peer.admissionOf(id)?.admission },
      leave,
      access: { token: token.token, allowOrigins: options.allowOrigins, hostNames: options.httpHosts, metricsOpen: options.metricsOpen },
      contexts: new ContextSeal(trust.contextKey),
      connections: { maxConnections: options.httpMaxConnections, idleMs: options.httpIdleTimeoutMs },
      log: scoped(log, 'http')
    })
    const http = await api.listen(options.http)
    undo.add('http api', async () => { await api.close() })
    undo.add('daemon file', await writeDaemonFile(options.dataDir, { pid: process.pid, http, peerId: peer.id, tokenFile: token.file }))

    let stopping: Promise<void> | undefined
    return {
      peerId: peer.id,
      clusterId: trust.clusterId,
      ...(trust.secret === undefined ? {} : { secret: trust.secret }),
      addrs: addrs(),
      http,
      tokenFile: token.file,
      peer,
      left: leave.finished,
      stop: async () => {
        stopping ??= undo.run()
        await stopping
      }
    }
  } catch (error) {
    // The start's own error is the one to report; a step that hung is logged by name.
    await undo.run().catch(() => undefined)
    throw error
  }
}

/** The libp2p node (started, so its real addresses are known) and the engine peer on it. */
async function startPeer (
  options: DaemonOptions, trust: Trust, privateKey: PrivateKey, storage: FsStorage, resumeLeave: boolean, log: Logger, undo: ShutdownSequence
): Promise<{ peer: Peer, network: Libp2pNetwork, addrs: () => string[] }> {
  const node = await createNodeLibp2p({
    listen: options.listen,
    privateKey,
    ...(options.announce.length > 0 ? { announce: options.announce } : {}),
    relayServer: options.relay
  })
  // network.stop() (through peer.stop()) stops the node too; this covers a failure before
  // the peer took it over. libp2p's stop is idempotent.
  undo.add('libp2p node', async () => { await node.stop() })
  // The book reads the member table of the peer built just below.
  let members: () => readonly MemberRecord[] = () => []
  // Visitors (clients: browser tabs) come and go by the thousand: libp2p forgets them once
  // they disconnect; members it keeps (their addresses are what the address book dials).
  const isMember = (id: string): boolean => members().some((m) => m.id === id)
  const network = new Libp2pNetwork(node, { cluster: options.cluster, clusterId: trust.clusterId, log: scoped(log, 'net'), forget: (id) => !isMember(id) })
  await node.start()
  const addrs = cachedAddrs(node)

  const book = new AddressBook(node.peerId.toString(), () => members(), network, log, daemonDialable)
  const clock = new SystemClock()
  const peer = new Peer({
    network: withAddressBook(network, book),
    storage,
    clock,
    signer: new Libp2pSigner(privateKey),
    logger: scoped(log, 'peer'),
    addrs: addrs(),
    admission: trust.admission,
    resumeLeave,
    config: {
      clusterId: trust.clusterId,
      q: options.q,
      n: options.n,
      r: options.r,
      w: options.w,
      weight: trust.weight,
      zone: trust.zone,
      seeds: options.bootstrap,
      requestTimeoutMs: options.requestTimeoutMs,
      antiEntropyIntervalMs: options.antiEntropyIntervalMs,
      hintQuotaBytes: options.hintQuotaBytes,
      hintQuotaPerTargetBytes: options.hintQuotaPerTargetBytes,
      hintMaxAgeMs: options.hintMaxAgeMs,
      ringCheckpoints: options.ringCheckpoints
    }
  })
  members = () => peer.members()
  // peer.start() stops the peer itself if it fails.
  await peer.start()
  undo.add('peer', async () => {
    await peer.stop()
    clock.clearAll()
  })
  book.start()
  undo.add('address book', async () => { book.stop() })
  return { peer, network, addrs }
}

/**
 * Our multiaddrs with /p2p/ suffix. libp2p's getMultiaddrs() rebuilds them from the
 * address manager's state on every call (~0.5 ms: a GET /status polled every few ms spent
 * most of its time there), so the list is kept and rebuilt only after libp2p says our
 * addresses may have changed.
 */
function cachedAddrs (node: Libp2p): () => string[] {
  let cached: string[] | undefined
  const invalidate = (): void => { cached = undefined }
  for (const event of ['self:peer:update', 'transport:listening', 'transport:close'] as const) node.addEventListener(event, invalidate)
  return () => {
    cached ??= node.getMultiaddrs().map((ma) => withPeerId(ma.toString(), node.peerId.toString()))
    return [...cached]
  }
}

function withPeerId (addr: string, peerId: string): string {
  return addr.includes('/p2p/') ? addr : `${addr}/p2p/${peerId}`
}

/** The same logger with a `component` field on every line. */
function scoped (log: Logger, component: string): Logger {
  return {
    debug: (msg, fields) => { log.debug(msg, { component, ...fields }) },
    info: (msg, fields) => { log.info(msg, { component, ...fields }) },
    warn: (msg, fields) => { log.warn(msg, { component, ...fields }) },
    error: (msg, fields) => { log.error(msg, { component, ...fields }) }
  }
}
