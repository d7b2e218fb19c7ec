/**
 * The `browser` section: the browser peer in real headless Chromium.
 *   (a) offline put latency: a tab with nobody to reach, sequential W=1 puts of 262-byte
 *       values (p50/p99), and the same puts 64 in flight;
 *   (b) IndexedDB in the same page: one idb-keyval `set` (one transaction) per put vs the
 *       batched paths (setMany, IdbStorage's group commit): puts/s each;
 *   (c) sync after reconnect: 3 daemons (N=3), the tab joins over WebSockets, goes offline
 *       (faults.goOffline: gater + hang-up), writes `puts` new keys with W=1, goes online;
 *       time until its hints are delivered and every daemon holds every key.
 * The page (bench/browser-page) is bundled with Vite's JS API into the run's temp dir and
 * served by a node:http server here; Chromium (/usr/bin/chromium, never downloaded) runs as
 * a child of procs.ts (own process group, watchdog) and Playwright drives it over CDP.
 */
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import type { BenchPage, IdbRow, JoinResult, OfflineRun } from './browser-page/api.js'
import { REPO_ROOT, clusterSecret, freePort, pollUntil, startDaemon, statusOf, waitForMembers } from './daemons.js'
import type { Daemon } from './daemons.js'
import type { BenchOptions } from './options.js'
import { memoryOf, spawnChild, stopChild } from './procs.js'
import type { Child } from './procs.js'
import { round3, summarize } from './stats.js'
import type { LatencySummary } from './stats.js'
import { getJson, keepAliveAgent } from './http.js'

const CHROMIUM = '/usr/bin/chromium'
/**
 * Headless, no sandbox (root in a container), nothing phoning home, no QUIC, plain local
 * ICE candidates: the flags of packages/browser/vitest.config.ts.
 */
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns'
]
/** The W1 workload's cart value size (bench/README.md). */
const VALUE_BYTES = 262
/** Puts outstanding in the concurrent offline run (as W1a's 64 writes in flight). */
const IN_FLIGHT = 64
/** Unmeasured puts before the offline latency run (JIT, IndexedDB open, first transactions). */
const WARMUP_PUTS = 50
/** Chromium's DevTools endpoint comes up in ~1 s here; a cold start on a loaded machine is slower. */
const CHROMIUM_READY_MS = 30_000
/** Sync after reconnect: give up after this long (hint delivery is expected in seconds). */
const SYNC_TIMEOUT_MS = 120_000
/** Poll period of the tab's hintsPending and the daemons' /status while syncing. */
const SYNC_POLL_MS = 10

export interface BrowserSyncResult {
  readonly puts: number
  readonly what: string
  /** Tab joined (createBrowserPeer → every daemon reachable). */
  readonly joinMs: number
  readonly offlinePut: LatencySummary
  readonly hintsPendingOffline: number
  /** From goOnline() called until: its redial settled, a connection is up, hints at 0, each daemon holds every key. */
  readonly goOnlineReturnedMs: number | null
  readonly firstConnectionMs: number | null
  readonly hintsZeroMs: number | null
  readonly daemonKeysCompleteMs: Array<number | null>
  /** max(hints at 0, every daemon complete): the figure. */
  readonly syncedMs: number | null
  readonly timedOut: boolean
  /** A sample of keys read back through each daemon's GET /replica/{key}. */
  readonly replicaChecks: { readonly checked: number, readonly found: number }
  readonly daemonPeakRssMb: number[]
}

export interface BrowserResult {
  readonly config: { readonly puts: number, readonly valueBytes: number, readonly inFlight: number, readonly warmup: number, readonly chromium: string, readonly crossOriginIsolated: boolean }
  readonly offline: {
    readonly sequential: LatencySummary
    readonly sequentialPutsPerSec: number
    readonly concurrent: { readonly puts: number, readonly inFlight: number, readonly ms: number, readonly putsPerSec: number }
    readonly hintsPending: number
  }
  readonly idb: Array<{ readonly path: string, readonly puts: number, readonly ms: number, readonly putsPerSec: number, readonly latency?: LatencySummary }>
  readonly sync?: BrowserSyncResult
  readonly syncError?: string
  readonly chromiumPeakRssMb: number
}

type Log = (msg: string) => void

const agent = keepAliveAgent(8)

export async function runBrowser (options: BenchOptions, dir: string, log: Log): Promise<BrowserResult> {
  const puts = options.browserPuts
  const pageDir = join(dir, 'browser-page')
  log('browser: bundling the bench page with Vite')
  await buildPage(pageDir)
  const server = await serve(pageDir)
  let chromium: Child | undefined
  let browser: Browser | undefined
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`
    log('browser: starting Chromium')
    const launched = await launchChromium(dir)
    chromium = launched.child
    browser = launched.browser
    const page = await openPage(browser, url, log)
    // True when the COOP/COEP headers took: performance.now() then has 5 µs resolution (else 100 µs).
    const crossOriginIsolated = await page.evaluate(() => globalThis.crossOriginIsolated)
    log(`browser: (a) offline put latency, ${puts} sequential W=1 puts + ${puts} with ${IN_FLIGHT} in flight`)
    const alone = await call(page, 'offlineAlone', { name: `alone-${Date.now()}`, puts, warmup: WARMUP_PUTS, inFlight: IN_FLIGHT, valueBytes: VALUE_BYTES })
    log(`browser: (b) IndexedDB write paths, ${puts} puts each`)
    const rows = await call(page, 'idbCompare', { puts, valueBytes: VALUE_BYTES })
    log('browser: (c) 3 daemons, offline writes, time to sync after reconnect')
    let sync: BrowserSyncResult | undefined
    let syncError: string | undefined
    try {
      sync = await runSync(page, options, dir, log)
    } catch (err) {
      syncError = err instanceof Error ? err.message : String(err)
      log(`browser: sync FAILED: ${syncError}`)
    }
    await call(page, 'cleanup')
    const chromiumPeakRssMb = memoryOf(chromium).peakMb
    if (syncError !== undefined) throw new Error(`sync after reconnect: ${syncError}`)
    return {
      config: { puts, valueBytes: VALUE_BYTES, inFlight: IN_FLIGHT, warmup: WARMUP_PUTS, chromium: browser.version(), crossOriginIsolated },
      offline: offlineFigures(alone),
      idb: rows.map(idbFigures),
      ...(sync === undefined ? {} : { sync }),
      chromiumPeakRssMb
    }
  } finally {
    await browser?.close().catch(() => undefined)
    if (chromium !== undefined) await stopChild(chromium, 'SIGTERM', 5_000)
    await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections() })
  }
}

/** One bench-page method, run in Chromium through page.evaluate (see browser-page/api.ts). */
async function call<K extends keyof BenchPage> (page: Page, method: K, ...args: Parameters<BenchPage[K]>): Promise<Awaited<ReturnType<BenchPage[K]>>> {
  return await page.evaluate(async ([name, a]) => {
    const bench = window.ringstoreBench
    if (bench === undefined) throw new Error('bench page not loaded')
    return await (bench[name] as (...x: unknown[]) => unknown)(...a)
  }, [method, args] as const) as Awaited<ReturnType<BenchPage[K]>>
}

function offlineFigures (run: OfflineRun): BrowserResult['offline'] {
  const sequential = summarize(run.sequentialMs)
  const total = run.sequentialMs.reduce((a, b) => a + b, 0)
  const c = run.concurrent
  return {
    sequential,
    sequentialPutsPerSec: round3(run.sequentialMs.length / (total / 1000)),
    concurrent: { ...c, ms: round3(c.ms), putsPerSec: round3(c.puts / (c.ms / 1000)) },
    hintsPending: run.hintsPending
  }
}

function idbFigures (row: IdbRow): BrowserResult['idb'][number] {
  return {
    path: row.path,
    puts: row.puts,
    ms: round3(row.ms),
    putsPerSec: round3(row.puts / (row.ms / 1000)),
    ...(row.latencyMs === undefined ? {} : { latency: summarize(row.latencyMs) })
  }
}

async function runSync (page: Page, options: BenchOptions, dir: string, log: Log): Promise<BrowserSyncResult> {
  const puts = options.browserPuts
  const daemons: Daemon[] = []
  try {
    const secret = await clusterSecret(dir, 'browser')
    const spec = async (i: number, bootstrap: string[]): Promise<Daemon> => startDaemon({
      name: `browser-d${i}`,
      dataDir: join(dir, `browser-d${i}`),
      p2pPort: await freePort(),
      httpPort: await freePort(),
      extraListen: [`/ip4/127.0.0.1/tcp/${await freePort()}/ws`],
      bootstrap,
      clusterSecret: secret,
      n: 3,
      r: 2,
      w: 2,
      logLevel: options.logLevel,
      logFile: join(dir, `browser-d${i}.log`)
    })
    const first = await spec(1, [])
    daemons.push(first)
    daemons.push(...await Promise.all([spec(2, [first.addr]), spec(3, [first.addr])]))
    await waitForMembers(daemons, 3)
    const bootstrap = daemons.map(wsAddr)
    const joined: JoinResult = await call(page, 'join', { name: `sync-${Date.now()}`, bootstrap, daemons: 3, timeoutMs: 30_000 })
    log(`browser: tab joined in ${Math.round(joined.ms)} ms; going offline, ${puts} W=1 puts to new keys`)
    const before = await Promise.all(daemons.map(statusOf))
    const prefix = 'sync'
    const offline = await call(page, 'offlineWrites', { puts, valueBytes: VALUE_BYTES, prefix })
    log(`browser: ${offline.hintsPending} hints pending in the tab; going online`)
    const timing = await timeSync(page, daemons, before.map((s) => s.keys + puts))
    const sample = [0, Math.floor(puts / 2), puts - 1].map((i) => `${prefix}-${i}`)
    const found = await Promise.all(daemons.flatMap((d) => sample.map(async (key) =>
      ((await getJson(agent, d.endpoint, `/replica/${encodeURIComponent(key)}`)) as { found?: unknown }).found === true)))
    return {
      puts,
      what: `${puts} puts to ${puts} new keys (one version each), ${VALUE_BYTES} B values, W=1, made while offline`,
      joinMs: round3(joined.ms),
      offlinePut: summarize(offline.sequentialMs),
      hintsPendingOffline: offline.hintsPending,
      ...timing,
      replicaChecks: { checked: found.length, found: found.filter(Boolean).length },
      daemonPeakRssMb: daemons.map((d) => memoryOf(d.child).peakMb)
    }
  } finally {
    // The tab first: stopped daemons would otherwise leave it redialling them.
    await call(page, 'cleanup').catch(() => undefined)
    await Promise.all(daemons.map(async (d) => stopChild(d.child)))
  }
}

type SyncTiming = Pick<BrowserSyncResult, 'goOnlineReturnedMs' | 'firstConnectionMs' | 'hintsZeroMs' | 'daemonKeysCompleteMs' | 'syncedMs' | 'timedOut'>

/** goOnline, then poll the tab and every daemon until hints are 0 and every daemon has `targets[i]` keys. */
async function timeSync (page: Page, daemons: readonly Daemon[], targets: readonly number[]): Promise<SyncTiming> {
  const t0 = performance.now()
  const since = (): number => round3(performance.now() - t0)
  let goOnlineReturnedMs: number | null = null
  let firstConnectionMs: number | null = null
  let hintsZeroMs: number | null = null
  const complete: Array<number | null> = daemons.map(() => null)
  const online = call(page, 'goOnline').then(() => { goOnlineReturnedMs = since() })
  let timedOut = false
  try {
    await pollUntil('tab hints at 0 and every daemon holding every key', async () => {
      const [tab, ...statuses] = await Promise.all([
        call(page, 'status'),
        ...daemons.map(async (d, i) => complete[i] === null ? await statusOf(d) : undefined)
      ])
      const now = since()
      if (firstConnectionMs === null && tab.connections > 0) firstConnectionMs = now
      if (hintsZeroMs === null && tab.hintsPending === 0) hintsZeroMs = now
      statuses.forEach((s, i) => { if (s !== undefined && complete[i] === null && s.keys >= (targets[i] ?? Infinity)) complete[i] = now })
      return hintsZeroMs !== null && complete.every((c) => c !== null)
    }, SYNC_TIMEOUT_MS, SYNC_POLL_MS)
  } catch {
    timedOut = true
  }
  await online
  const all = [hintsZeroMs, ...complete]
  return {
    goOnlineReturnedMs,
    firstConnectionMs,
    hintsZeroMs,
    daemonKeysCompleteMs: complete,
    syncedMs: all.every((x) => x !== null) ? Math.max(...(all as number[])) : null,
    timedOut
  }
}

function wsAddr (d: Daemon): string {
  const ws = d.addrs.find((a) => a.includes('/ws/'))
  if (ws === undefined) throw new Error(`${d.spec.name} has no WebSockets address: ${d.addrs.join(' ')}`)
  return ws
}

/** Bundle bench/browser-page (index.html + main.ts → @ringstore/browser) into `outDir`. */
async function buildPage (outDir: string): Promise<void> {
  const { build, defaultClientConditions } = await import('vite')
  await build({
    // Workspace packages from their TypeScript sources (package.json exports), not dist/.
    resolve: { conditions: ['@ringstore/source', ...defaultClientConditions] },
    root: join(REPO_ROOT, 'bench', 'browser-page'),
    configFile: false,
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 4096 }
  })
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' }

/** A static server for the built page, on a free loopback port. */
async function serve (root: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '')
    const file = join(root, path === '/' ? 'index.html' : path)
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      // Cross-origin isolation: performance.now() in the page then ticks in 5 µs, not 100 µs.
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp'
    })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return server
}

/**
 * Chromium as a child of procs.ts (own process group: killed with the benchmark however it
 * ends, the watchdog included), with a temporary profile, connected to over CDP.
 */
async function launchChromium (dir: string): Promise<{ child: Child, browser: Browser }> {
  const port = await freePort()
  const profile = join(dir, 'chromium-profile')
  mkdirSync(profile, { recursive: true })
  const child = spawnChild('chromium', CHROMIUM, [
    ...CHROMIUM_FLAGS, `--remote-debugging-port=${port}`, '--remote-debugging-address=127.0.0.1', `--user-data-dir=${profile}`, 'about:blank'
  ], { logFile: join(dir, 'chromium.log') })
  try {
    const endpoint = `http://127.0.0.1:${port}`
    await pollUntil('Chromium DevTools endpoint', async () => {
      try {
        return (await fetch(`${endpoint}/json/version`)).ok
      } catch {
        return false
      }
    }, CHROMIUM_READY_MS, 100)
    const { chromium } = await import('playwright-core')
    return { child, browser: await chromium.connectOverCDP(endpoint) }
  } catch (err) {
    await stopChild(child, 'SIGKILL')
    throw err
  }
}

async function openPage (browser: Browser, url: string, log: Log): Promise<Page> {
  const context = browser.contexts()[0] ?? await browser.newContext()
  const page = await context.newPage()
  page.on('pageerror', (err) => { log(`browser: page error: ${err.message}`) })
  page.on('console', (msg) => { if (msg.type() === 'error') log(`browser: console: ${msg.text()}`) })
  await page.goto(url)
  await page.waitForFunction(() => window.ringstoreBench !== undefined, undefined, { timeout: 30_000 })
  return page
}

/** The section's tables (markdown), for report.ts. */
export function browserTable (b: BrowserResult, fmt: { ms: (x: number | null | undefined) => string, int: (x: number) => string, table: (h: readonly string[], rows: ReadonlyArray<readonly string[]>) => string }): string {
  const { ms, int, table } = fmt
  const pct = (s: LatencySummary): string => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.p999)}`
  const o = b.offline
  const offlineRows = [
    ['tab alone (no daemon known), sequential', int(o.sequential.count), int(o.sequentialPutsPerSec), pct(o.sequential)],
    [`tab alone, ${o.concurrent.inFlight} in flight`, int(o.concurrent.puts), int(o.concurrent.putsPerSec), '—']
  ]
  const s = b.sync
  if (s !== undefined) offlineRows.push(['tab of a 3-daemon cluster after goOffline (hints for 3), sequential', int(s.offlinePut.count), '—', pct(s.offlinePut)])
  const idbRows = b.idb.map((r) => [r.path, int(r.puts), int(r.putsPerSec), r.latency === undefined ? '—' : pct(r.latency)])
  const parts = [
    `### Browser peer (Chromium ${b.config.chromium}, ${b.config.valueBytes} B values)\n`,
    'Offline W=1 puts through the browser peer (IndexedDB, strict durability):\n',
    table(['tab', 'puts', 'puts/s', 'p50 / p99 / p99.9 ms'], offlineRows),
    '\nIndexedDB write paths in the same page:\n',
    table(['path', 'puts', 'puts/s', 'p50 / p99 / p99.9 ms'], idbRows)
  ]
  if (s !== undefined) {
    const daemons = s.daemonKeysCompleteMs.map((x) => ms(x)).join(' / ')
    parts.push(`\nSync after reconnect: ${s.what}; ${int(s.hintsPendingOffline)} hints pending in the tab.\n`)
    parts.push(table(['from goOnline() to', 'ms'], [
      ['goOnline() returned (redial settled)', ms(s.goOnlineReturnedMs)],
      ['first connection', ms(s.firstConnectionMs)],
      ['tab hintsPending = 0', ms(s.hintsZeroMs)],
      ['each daemon holds every key (/status keys)', daemons],
      ['**synced** (both)', s.timedOut ? 'timed out' : ms(s.syncedMs)]
    ]))
    parts.push(`\nReplica check (GET /replica/{key}, 3 keys × 3 daemons): ${s.replicaChecks.found}/${s.replicaChecks.checked} found. Tab join ${ms(s.joinMs)} ms. Peak RSS: Chromium ${b.chromiumPeakRssMb.toFixed(0)} MB (largest process), daemons ${s.daemonPeakRssMb.map((x) => x.toFixed(0)).join(' / ')} MB.`)
  }
  return parts.join('\n')
}
