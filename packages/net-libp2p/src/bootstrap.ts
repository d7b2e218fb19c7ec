/**
 * fetchBootstrap: what a peer needs to join a cluster as a client, from any of its daemons'
 * open `GET /bootstrap` (no token; packages/daemon/src/http/status.ts): the daemon's
 * WebSocket multiaddrs (for browsers; `transport: 'tcp'`: its TCP ones, for Node 20, which
 * has no WebSocket to dial with), the cluster's name and id (the peer then takes as members only
 * peers admitted to that cluster) and q/n/r/w (q must match for everyone to compute the
 * same ring). The result spreads into `createBrowserPeer(…)` (@ringstore/browser) and
 * `createNodeClient({ …, dataDir })` (ringstore). Browser pages from another origin than the
 * daemon's need the daemon started with `--allow-origin <the page's origin>`.
 */

export interface BootstrapSettings {
  readonly q?: number
  readonly n?: number
  readonly r?: number
  readonly w?: number
  /** The cluster's id (its authority's public key). */
  readonly clusterId?: string
}

export interface Bootstrap {
  /** The daemon's WebSocket multiaddrs, with /p2p/<id>. */
  readonly bootstrap: string[]
  /** The cluster's name. */
  readonly cluster?: string
  readonly config: BootstrapSettings
}

export class BootstrapError extends Error {
  static override name = 'BootstrapError'
  override name = 'BootstrapError'
}

/** A daemon answers in milliseconds; past this it is taken as unreachable. */
export const BOOTSTRAP_TIMEOUT_MS = 5000

export interface FetchBootstrapOptions {
  /** Which of the daemon's addresses: 'ws' (default, browsers) or 'tcp' (Node). */
  readonly transport?: 'ws' | 'tcp'
  readonly timeoutMs?: number
}

/** `daemon`: the daemon's HTTP base URL, e.g. 'http://127.0.0.1:7070'. Throws BootstrapError. */
export async function fetchBootstrap (daemon: string | URL, options: FetchBootstrapOptions = {}): Promise<Bootstrap> {
  const url = new URL('/bootstrap', daemon)
  let body: unknown
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? BOOTSTRAP_TIMEOUT_MS), headers: { accept: 'application/json' } })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    body = await res.json()
  } catch (error) {
    throw new BootstrapError(`GET ${url.href}: ${error instanceof Error ? error.message : String(error)}`)
  }
  return parseBootstrap(body, options.transport ?? 'ws', url.href)
}

/** The checked shape of a GET /bootstrap body (`from` names it in errors). */
export function parseBootstrap (body: unknown, transport: 'ws' | 'tcp' = 'ws', from = 'GET /bootstrap'): Bootstrap {
  if (typeof body !== 'object' || body === null) throw new BootstrapError(`${from}: not a JSON object`)
  const raw = body as Record<string, unknown>
  const listed = transport === 'ws' ? raw.addrs : raw.tcpAddrs
  const bootstrap = (Array.isArray(listed) ? listed : []).filter((a): a is string => typeof a === 'string' && a.includes('/p2p/'))
  if (bootstrap.length === 0) throw new BootstrapError(`${from}: the daemon announces no ${transport === 'ws' ? 'WebSocket' : 'TCP'} address (see its --listen addresses)`)
  const config: Record<string, number | string> = {}
  const settings = typeof raw.config === 'object' && raw.config !== null ? raw.config as Record<string, unknown> : {}
  for (const name of ['q', 'n', 'r', 'w'] as const) {
    const value = settings[name]
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) config[name] = value
  }
  if (typeof raw.clusterId === 'string') config.clusterId = raw.clusterId
  return { bootstrap, ...(typeof raw.cluster === 'string' ? { cluster: raw.cluster } : {}), config }
}
