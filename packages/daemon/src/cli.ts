/**
 * `ringstore <command>`: `start` runs one daemon, `cluster` a local cluster of daemons
 * (what `npm start` runs), `leave` and `status` talk to a running one. Exit codes: 0 clean
 * exit (including after SIGTERM/SIGINT, and after the daemon left the cluster), 1 the
 * daemon could not start or failed, or a step of its shutdown hung (shutdown.ts), or an
 * operator command did not complete, 2 a bad command line.
 */
import { LIMITS, UsageError } from '@ringstore/core'
import { DEFAULT_CONFIG } from '@ringstore/peer'
import { admitCommand, peerIdCommand, secretCommand } from './admin-commands.js'
import { parseClusterArgs, parseStartArgs } from './args.js'
import {
  DEFAULT_CLUSTER, DEFAULT_CLUSTER_BASE_DIR, DEFAULT_CLUSTER_HTTP_PORT, DEFAULT_CLUSTER_P2P_PORT, DEFAULT_CLUSTER_PEERS,
  DEFAULT_DATA_DIR, DEFAULT_HTTP, DEFAULT_HTTP_IDLE_TIMEOUT_MS, DEFAULT_HTTP_MAX_CONNECTIONS, DEFAULT_LISTEN, DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_INFLIGHT, WS_PORT_OFFSET
} from './constants.js'
import { DEFAULT_SECRET_FILE } from './cluster-secret.js'
import { DEFAULT_TOKEN_FILE } from './http-token.js'
import { OperatorError } from './daemon-client.js'
import { leaveCommand } from './leave-command.js'
import { removeCommand } from './remove-command.js'
import { statusCommand } from './status-command.js'
import { runLocalCluster } from './local-cluster.js'
import { createLogger, LOG_LEVELS } from './logger.js'
import { isLoopback } from './http/access.js'
import { startDaemon } from './daemon.js'
import type { RunningDaemon } from './daemon.js'

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export const HELP = `ringstore — a Dynamo-style key-value store peer

Usage:
  ringstore start [options]      run one daemon (prints one JSON "ready" line on stdout)
  ringstore cluster [options]    run a local cluster of daemons (what \`npm start\` runs)
  ringstore secret FILE          create a cluster secret (0600) and print the cluster id
  ringstore admit [options]      issue an admission certificate for a peer (ringstore admit --help)
  ringstore peer-id [--data-dir DIR]  print the peer id of DIR's daemon (created if new), to admit it
  ringstore status [--data-dir DIR | --http HOST:PORT --http-token-file FILE] [--json]
                                 members, admission, ring balance, hints and keys as the running
                                 daemon of DIR sees them (ringstore status --help)
  ringstore leave [--data-dir DIR | --http HOST:PORT --http-token-file FILE] [--timeout SECONDS]
                                 the running daemon of DIR hands its data off, leaves the cluster
                                 for good and stops (ringstore leave --help)
  ringstore remove PEER_ID --cluster-secret FILE [--data-dir DIR | --http HOST:PORT --http-token-file FILE]
                                 remove a dead member for good, signed with the cluster's authority
                                 (ringstore remove --help)
  ringstore help                 this text

ringstore start options:
  --data-dir DIR                 data directory: identity key, store, pid lock, daemon.json, http-token (${DEFAULT_DATA_DIR});
                                 refused once its peer left the cluster (ringstore leave), and when its
                                 store is missing or empty although its identity had one, or damaged
  --allow-empty-store            start even though the store under this identity is missing or empty
                                 (lost for good): a warning, then the other replicas refill it
  --listen MULTIADDR             libp2p listen address, repeatable
                                 (${DEFAULT_LISTEN.join(' and ')})
  --announce MULTIADDR           address to announce instead of the listen ones, repeatable
  --http HOST:PORT               HTTP API address; port 0 = any free port (${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port})
  --http-token-file FILE         the HTTP API's bearer token: every route but /bootstrap and the demo
                                 files needs Authorization: Bearer <token> (else 401). Read from FILE,
                                 created there (0600, 32 random bytes base64url) when missing; refused
                                 when group/others may read it. Default: DIR/${DEFAULT_TOKEN_FILE}
  --allow-origin ORIGIN          a web origin (http://host:port) whose pages may call the API (CORS
                                 headers for it alone), repeatable; a request with any other Origin
                                 gets 403 forbidden_origin, except the daemon's own pages
  --http-host NAME               a further name the Host header may carry (NAME:PORT, or NAME with
                                 the daemon's port), repeatable; any other Host gets 421 misdirected
  --metrics-open                 serve GET /metrics without the token (for a scraper)
  --bootstrap MULTIADDR          a peer to join through (with /p2p/ID), repeatable
  --cluster NAME                 cluster name; peers only join their own cluster (${DEFAULT_CLUSTER})
  --cluster-secret FILE          join the cluster FILE defines (ringstore secret): only peers
                                 admitted by it are members. Default: DIR/${DEFAULT_SECRET_FILE}, created
                                 at first start (mode 0600): a new cluster of its own, which other
                                 daemons join only when started with --cluster-secret on that file
  --admission FILE               join as a member with a certificate from \`ringstore admit\` (the line
                                 it prints) instead of the secret; weight and zone default to the
                                 certificate's. Not with --cluster-secret
  --n N  --r R  --w W            replicas, read quorum, write quorum (${DEFAULT_CONFIG.n}, ${DEFAULT_CONFIG.r}, ${DEFAULT_CONFIG.w})
  --q Q                          partitions, a power of two, same on every peer (${DEFAULT_CONFIG.q})
  --weight X                     capacity relative to other peers; 0 = own nothing (${DEFAULT_CONFIG.weight})
  --zone NAME                    failure zone; replicas spread across zones (${DEFAULT_CONFIG.zone})
  --request-timeout-ms MS        a replica silent this long is routed around (${DEFAULT_CONFIG.requestTimeoutMs})
  --anti-entropy-interval-ms MS  Merkle anti-entropy period; 0 = off (${DEFAULT_CONFIG.antiEntropyIntervalMs})
  --background-yield-at DURATION foreground p99 (over the last second) above which anti-entropy,
                                 GC, hinted handoff and transfer slow down (${DEFAULT_CONFIG.backgroundYieldAtMs}ms)
  --hint-quota BYTES             bytes of hints kept for other peers in all; a hint past it is
                                 refused (over-quota), none dropped. Units B KiB MiB GiB (${DEFAULT_CONFIG.hintQuotaBytes / 1024 ** 2}MiB)
  --hint-quota-per-target BYTES  the same for the hints of any one peer (${DEFAULT_CONFIG.hintQuotaPerTargetBytes / 1024 ** 2}MiB)
  --hint-max-age DURATION        hints older than this are deleted (anti-entropy repairs their
                                 data); MS or with a unit ms s m h d (${DEFAULT_CONFIG.hintMaxAgeMs / 86_400_000}d)
  --no-ring-checkpoints          propose no ring checkpoints (on by default: members agree on one
                                 and drop the records of members that left long ago). Use it while
                                 the cluster still runs peers older than checkpoints (they refuse
                                 records that advertise one). --ring-checkpoints is still taken
  --max-body BYTES               largest value accepted by PUT, at most ${LIMITS.valueBytes} (${LIMITS.valueBytes})
  --max-inflight K               key-value requests in progress before 503 overloaded; 0 = no bound (${DEFAULT_MAX_INFLIGHT})
  --http-max-connections K       open HTTP connections at most; more are closed on arrival and
                                 counted; 0 = no bound (${DEFAULT_HTTP_MAX_CONNECTIONS})
  --http-idle-timeout-ms MS      an HTTP connection without a request this long is closed, and a
                                 request head must arrive within it (${DEFAULT_HTTP_IDLE_TIMEOUT_MS})
  --no-relay                     do not run the circuit-relay server for browsers
  --log-level LEVEL              ${LOG_LEVELS.join(', ')} (${DEFAULT_LOG_LEVEL}); logs go to stderr
  -h, --help

ringstore cluster options:
  --peers K                      number of daemons (${DEFAULT_CLUSTER_PEERS})
  --base-dir DIR                 data under DIR/peer-1 ... (${DEFAULT_CLUSTER_BASE_DIR})
  --http-port P                  HTTP ports P, P+1, ... (${DEFAULT_CLUSTER_HTTP_PORT}); a busy port falls back to a free one
  --p2p-port P                   libp2p TCP ports P, P+1, ... and WebSockets P+${WS_PORT_OFFSET}, ... (${DEFAULT_CLUSTER_P2P_PORT})
  --log-level LEVEL              for the daemons' logs in DIR/peer-K/daemon.log (${DEFAULT_LOG_LEVEL})
  -- ARGS                        passed to every \`ringstore start\` (e.g. -- --n 2 --w 1)

Signals: SIGTERM or SIGINT shut down cleanly (exit 0); a second one exits at once. A shutdown
step that takes more than 30 s is logged by name and left behind; the daemon then exits 1.
Exit codes: 0 ok, 1 failed to start, crashed or did not shut down cleanly (leave/status: the daemon unreachable, or the
leave not done by --timeout; remove: refused), 2 bad command line.
`

export async function main (argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'start': return await startCommand(rest)
      case 'cluster': return await clusterCommand(rest)
      case 'secret': return await secretCommand(rest)
      case 'admit': return await admitCommand(rest)
      case 'peer-id': return await peerIdCommand(rest)
      case 'status': return await statusCommand(rest)
      case 'leave': return await leaveCommand(rest)
      case 'remove': return await removeCommand(rest)
      case 'help': case '--help': case '-h':
        process.stdout.write(HELP)
        return EXIT_OK
      case undefined:
        process.stderr.write(HELP)
        return EXIT_USAGE
      default:
        throw new UsageError(`unknown command '${command}'`)
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ringstore: ${error.message}\nRun 'ringstore --help' for the options.\n`)
      return EXIT_USAGE
    }
    if (error instanceof OperatorError) {
      process.stderr.write(`ringstore ${String(command)}: ${error.message}\n`)
      return EXIT_FAILED
    }
    process.stderr.write(`ringstore: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`)
    return EXIT_FAILED
  }
}

async function startCommand (argv: readonly string[]): Promise<number> {
  const options = parseStartArgs(argv)
  if (options === null) {
    process.stdout.write(HELP)
    return EXIT_OK
  }
  const log = createLogger(options.logLevel)
  const stopped = waitForSignal(log)
  let daemon: RunningDaemon
  try {
    daemon = await startDaemon(options, log)
  } catch (error) {
    log.error('daemon failed to start', { error })
    throw error
  }
  log.info('ready', { peerId: daemon.peerId, addrs: daemon.addrs, http: daemon.http, dataDir: options.dataDir, clusterId: daemon.clusterId, tokenFile: daemon.tokenFile })
  if (daemon.secret?.isDefault === true) process.stderr.write(defaultSecretNotice(daemon.secret.file, daemon.secret.created))
  if (!isLoopback(options.http.host)) process.stderr.write(exposedHttpNotice(daemon.http, daemon.tokenFile))
  const secret = daemon.secret === undefined ? {} : { clusterSecret: daemon.secret.file }
  process.stdout.write(`${JSON.stringify({ event: 'ready', peerId: daemon.peerId, addrs: daemon.addrs, http: daemon.http, clusterId: daemon.clusterId, ...secret, tokenFile: daemon.tokenFile })}\n`)
  // A daemon that left the cluster stops itself once it handed everything off (leave.ts).
  const reason = await Promise.race([stopped, daemon.left.then(() => 'left the cluster' as const)])
  log.info('shutting down', { reason })
  try {
    await daemon.stop()
  } catch (error) {
    // Each step that hung was logged by name; exit all the same (bin/ringstore.js exits
    // with what main returns, whatever is left pending), and say the stop was not clean.
    log.error('stopped without a clean shutdown', { error })
    return EXIT_FAILED
  }
  log.info('stopped')
  return EXIT_OK
}

/**
 * One plain line, whatever the log level: without it an operator would wonder why a second
 * daemon bootstrapped at this one never joins.
 */
export function defaultSecretNotice (file: string, created: boolean): string {
  return `ringstore: ${created ? 'created the cluster secret' : 'using the cluster secret'} ${file} (no --cluster-secret given); ` +
    `start the other daemons of this cluster with --cluster-secret ${file} (a copy, mode 0600) or they form clusters of their own\n`
}

/**
 * One plain line, whatever the log level: an API reachable from other machines is a
 * decision the operator should see made (the token still guards it; plain HTTP does not
 * hide it from the network).
 */
export function exposedHttpNotice (http: string, tokenFile: string): string {
  return `ringstore: WARNING: the HTTP API at ${http} is reachable beyond this machine; every request but /bootstrap and the demo files needs the bearer token in ${tokenFile}, ` +
    'sent in clear over plain HTTP: bind it to 127.0.0.1 or put it behind TLS\n'
}

async function clusterCommand (argv: readonly string[]): Promise<number> {
  const options = parseClusterArgs(argv)
  if (options === null) {
    process.stdout.write(HELP)
    return EXIT_OK
  }
  return await runLocalCluster(options)
}

/**
 * Resolves on the first SIGTERM/SIGINT (or, under a launcher, when the launcher is gone);
 * a second one exits at once (exit 130: an operator insisting). Installed before the daemon starts, so a signal during startup still ends in
 * a clean shutdown once startup finished.
 */
export async function waitForSignal (log: { warn (msg: string, fields?: Record<string, unknown>): void }): Promise<NodeJS.Signals> {
  return await new Promise((resolve) => {
    let received = false
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        log.warn('second signal: exiting without a clean shutdown', { signal })
        process.exit(130)
      }
      received = true
      resolve(signal)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    // Started by a launcher with an IPC channel (`ringstore cluster`): its end closing
    // means the launcher is gone, and nobody would ever stop us.
    // (Not a "second signal" when we are already stopping: the launcher may exit first.)
    if (process.send !== undefined) process.once('disconnect', () => { if (!received) onSignal('SIGHUP') })
  })
}
