/**
 * ringstore (the daemon package): the `ringstore` command and its parts, for embedding a
 * daemon in another Node program or test, and `createNodeClient`, a Node program's client
 * of a cluster (node-client.ts).
 *
 * @example
 * import { createNodeClient } from 'ringstore'
 * const client = await createNodeClient({ daemon: 'http://127.0.0.1:7070', dataDir: './client' })
 * await client.put(key, bytes); const { values } = await client.get(key)
 *
 * @example
 * import { startDaemon, parseStartArgs, createLogger } from 'ringstore'
 * const options = parseStartArgs(['--data-dir', './data/p1', '--http', '127.0.0.1:0'])
 * const daemon = await startDaemon(options!, createLogger('warn'))
 * console.log(daemon.http, daemon.peerId)
 * await daemon.stop()
 */
export { startDaemon, STORE_DIR } from './daemon.js'
export type { RunningDaemon } from './daemon.js'
export { parseStartArgs, parseClusterArgs, parseHostPort } from './args.js'
export { DEFAULT_HTTP, DEFAULT_LISTEN, DEFAULT_CLUSTER, DEFAULT_DATA_DIR, MAX_HEADER_BYTES } from './constants.js'
export type { DaemonOptions, ClusterOptions, HostPort } from './args.js'
export { createLogger, LOG_LEVELS } from './logger.js'
export type { LogLevel } from './logger.js'
export { main, HELP, EXIT_OK, EXIT_FAILED, EXIT_USAGE } from './cli.js'
export { createHttpApi } from './http/server.js'
export { CONTEXT_HEADER } from './http/respond.js'
export { SystemClock } from '@ringstore/peer'
export { createNodeClient } from './node-client.js'
export type { NodeClient, NodeClientOptions } from './node-client.js'
export { fetchBootstrap, BootstrapError } from '@ringstore/net-libp2p'
export { capabilityKey, ownerKey } from '@ringstore/core'
export { KeyRightsError, QuorumNotMetError } from '@ringstore/peer'
