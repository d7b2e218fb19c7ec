/**
 * Where the browser peer finds the cluster: the daemon that served this page answers
 * `GET /bootstrap` with its WebSocket multiaddrs (dialable from a browser), the cluster's
 * settings (q must match for every peer to compute the same ring) and the cluster id
 * (the tab then takes as members only peers admitted to that cluster). That route is open
 * (no token) and same-origin for the page the daemon served; the rest of the HTTP API
 * needs the operator's bearer token, which a page never has.
 * `?bootstrap=<multiaddr>` (repeatable or comma-separated) overrides the addresses.
 */

export interface ClusterSettings {
  readonly q?: number
  readonly n?: number
  readonly r?: number
  readonly w?: number
  /** The cluster's id (its authority's public key), as the daemon's GET /bootstrap says. */
  readonly clusterId?: string
}

export interface Bootstrap {
  readonly addrs: string[]
  readonly source: 'url' | 'daemon' | 'none'
  readonly cluster?: string
  readonly config?: ClusterSettings
  /** Why no daemon was found (shown to the user); absent when all is well. */
  readonly problem?: string
}

/** A daemon on this machine answers in milliseconds; past this the page goes on offline. */
const STATUS_TIMEOUT_MS = 3000

function settingsFrom (raw: unknown): ClusterSettings | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const out: Record<string, number> = {}
  for (const name of ['q', 'n', 'r', 'w'] as const) {
    const value = (raw as Record<string, unknown>)[name]
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) out[name] = value
  }
  return out
}

/** WebSocket addresses, those on the page's own host first (the others may be unroutable). */
export function browserDialable (addrs: readonly unknown[], pageHost: string): string[] {
  const ws = addrs.filter((a): a is string => typeof a === 'string' && /\/wss?(\/|$)/.test(a))
  const local = ws.filter((a) => a.includes(`/${pageHost}/`))
  return [...local, ...ws.filter((a) => !local.includes(a))]
}

async function fetchBootstrap (origin: string): Promise<Record<string, unknown>> {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort() }, STATUS_TIMEOUT_MS)
  try {
    const res = await fetch(new URL('/bootstrap', origin), { signal: controller.signal, headers: { accept: 'application/json' } })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    const body: unknown = await res.json()
    if (typeof body !== 'object' || body === null) throw new Error('not a bootstrap object')
    return body as Record<string, unknown>
  } finally {
    clearTimeout(timer)
  }
}

export async function discoverBootstrap (url: URL): Promise<Bootstrap> {
  const fromUrl = url.searchParams.getAll('bootstrap').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0)
  let status: Record<string, unknown> | undefined
  let problem: string | undefined
  try {
    status = await fetchBootstrap(url.origin)
  } catch (error) {
    problem = `GET ${url.origin}/bootstrap: ${error instanceof Error ? error.message : String(error)}`
  }
  const cluster = typeof status?.cluster === 'string' ? status.cluster : undefined
  const settings = settingsFrom(status?.config)
  const clusterId = typeof status?.clusterId === 'string' ? status.clusterId : undefined
  const config = settings === undefined && clusterId === undefined ? undefined : { ...settings, ...(clusterId === undefined ? {} : { clusterId }) }
  const extra = { ...(cluster === undefined ? {} : { cluster }), ...(config === undefined ? {} : { config }) }
  if (fromUrl.length > 0) return { addrs: fromUrl, source: 'url', ...extra }
  if (status === undefined) return { addrs: [], source: 'none', problem: problem ?? 'no answer' }
  const addrs = browserDialable(Array.isArray(status.addrs) ? status.addrs : [], url.hostname)
  if (addrs.length === 0) return { addrs, source: 'none', ...extra, problem: 'the daemon announces no WebSocket address (start it with a /ws listen address)' }
  return { addrs, source: 'daemon', ...extra }
}

/** Largest `?weight=` accepted: a tab is a small peer; the daemons' default weight is in this range. */
const MAX_TAB_WEIGHT = 16

/**
 * `?weight=<n>` makes this tab a full peer owning partitions (n > 0); default 0, a light
 * peer. A daemon's cluster is closed, so a full tab also needs `?admission=` (its
 * certificate, admission-param.ts). Used by the end-to-end test of tab-to-tab WebRTC (a
 * light peer only talks to owners).
 */
export function weightFromUrl (url: URL): number {
  const raw = url.searchParams.get('weight')
  if (raw === null || !/^[0-9]{1,2}$/.test(raw)) return 0
  return Math.min(Number(raw), MAX_TAB_WEIGHT)
}
