/**
 * 8. Installable packages (issue 12, item 5): `npm pack` the publishable workspaces, install
 * the tarballs into a scratch Node project and a scratch Vite app (outside the repo, so
 * nothing resolves to the workspace sources), type-check both against the installed
 * declarations, start a local cluster with the installed `ringstore` bin, and write and
 * read through it from the Node script (`createNodeClient`) and from the built Vite app
 * in Chromium (`createBrowserPeer`); each reads what the other wrote.
 *
 * npm installs the third-party dependencies from its cache (--prefer-offline); the
 * registry is asked only for what the cache lacks. The scratch apps are e2e/pack-app/.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, test } from '@playwright/test'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const APPS = fileURLToPath(new URL('./pack-app/', import.meta.url))
/** The publishable workspaces; sim and testkit stay private (not for users). */
const PACKAGES = ['packages/core', 'packages/peer', 'packages/net-libp2p', 'packages/storage-fs', 'packages/browser', 'packages/daemon']
/** The scratch apps take the repo's versions of their tools (from npm's cache). */
const ROOT_PKG = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel', 'error']
/** `ringstore cluster`'s banner (local-cluster.ts) says this once every daemon is ready. */
const CLUSTER_UP = /a local cluster of \d+ peers? is up/
const CLUSTER_TIMEOUT_MS = 60_000
/** The capability id both apps write under (22+ base64url characters: core's key-rights.ts). */
const CAP = `pack-test-${Date.now().toString(36)}`.padEnd(24, '0')

const run = promisify(execFile)

let scratch = ''
let cluster: ChildProcess | undefined
let server: Server | undefined

test.afterAll(async () => {
  server?.close()
  if (cluster !== undefined && cluster.exitCode === null) {
    const exited = new Promise((resolve) => cluster?.once('exit', resolve))
    cluster.kill('SIGTERM')
    await exited
  }
  if (scratch !== '') await rm(scratch, { recursive: true, force: true })
})

test('the packed packages install and work in a Node script and a Vite app', async ({ page }) => {
  test.setTimeout(240_000)
  const t0 = Date.now()
  const step = (what: string): void => { console.log(`pack test: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`) }
  scratch = await mkdtemp(join(tmpdir(), 'ringstore-pack-'))
  const tarballs = await pack(join(scratch, 'tarballs'))

  step('packed')
  const nodeApp = join(scratch, 'node-app')
  const webApp = join(scratch, 'web-app')
  await Promise.all([
    scratchApp(nodeApp, join(APPS, 'node'), tarballs, ['ringstore'], { typescript: ROOT_PKG.devDependencies.typescript ?? '*', '@types/node': ROOT_PKG.devDependencies['@types/node'] ?? '*' }),
    scratchApp(webApp, join(APPS, 'web'), tarballs, ['@ringstore/browser'], { typescript: ROOT_PKG.devDependencies.typescript ?? '*', vite: ROOT_PKG.devDependencies.vite ?? '*' })
  ])
  step('installed')
  // Nothing of the repo leaks in: each package is the installed copy, built JavaScript.
  for (const name of ['ringstore', '@ringstore/core', '@ringstore/peer', '@ringstore/net-libp2p', '@ringstore/storage-fs']) {
    const pkg = JSON.parse(await readFile(join(nodeApp, 'node_modules', name, 'package.json'), 'utf8')) as { private?: boolean }
    expect(pkg.private, name).toBeUndefined()
    expect(existsSync(join(nodeApp, 'node_modules', name, 'src')), `${name} ships no sources`).toBe(false)
  }

  // Both apps type-check against the installed declarations; the Node one compiles.
  await run(process.execPath, [join(nodeApp, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', nodeApp], { cwd: nodeApp })
  await run(process.execPath, [join(webApp, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', webApp], { cwd: webApp })
  await run(process.execPath, [join(webApp, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error'], { cwd: webApp })

  step('type-checked and built')
  // The page is served from its own origin, which the daemons are told to allow.
  server = await serve(join(webApp, 'dist'))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const daemons = await startCluster(nodeApp, join(scratch, 'cluster'), origin)
  const daemon = daemons[0]?.http ?? ''

  step('cluster up')
  // The Node script writes and reads back its key.
  const written = await nodeScript(nodeApp, ['write', daemon, CAP, join(scratch, 'node-client-1')])
  expect(written).toMatchObject({ key: `cap/${CAP}/from-node`, values: ['hello from node'] })

  step('node script done')
  // The Vite app in Chromium: writes and reads its key, reads the Node script's.
  await page.goto(`${origin}/?${new URLSearchParams({ daemon: daemons[1]?.http ?? '', cap: CAP, node: written.key }).toString()}`)
  await expect(page.locator('#out')).not.toHaveText('starting', { timeout: 60_000 })
  const fromPage = JSON.parse(await page.locator('#out').textContent() ?? '{}') as Record<string, unknown>
  expect(fromPage).toMatchObject({ key: `cap/${CAP}/from-browser`, own: ['hello from the browser'], node: ['hello from node'] })

  step('page done')
  // And a Node client (a new identity, through the third daemon) reads what the page wrote.
  const read = await nodeScript(nodeApp, ['read', daemons[2]?.http ?? '', `cap/${CAP}/from-browser`, join(scratch, 'node-client-2')])
  expect(read.values).toEqual(['hello from the browser'])
})

/** `npm pack` of every publishable workspace (its prepack builds it): the tarballs' paths. */
async function pack (into: string): Promise<string[]> {
  await mkdir(into, { recursive: true })
  const workspaces = PACKAGES.flatMap((p) => ['--workspace', p])
  await run(NPM, ['pack', ...workspaces, '--pack-destination', into, '--loglevel', 'error'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 })
  const files = (await readdir(into)).filter((f) => f.endsWith('.tgz')).map((f) => join(into, f))
  expect(files).toHaveLength(PACKAGES.length)
  return files
}

/**
 * A new npm project at `dir` with the app's files, depending on `wanted` from the tarballs.
 * Every tarball is listed (as `file:`), so the packages' dependencies on each other
 * (`@ringstore/core@0.1.0`, …) resolve to them and never to the registry.
 */
async function scratchApp (dir: string, files: string, tarballs: readonly string[], wanted: readonly string[], devDependencies: Record<string, string>): Promise<void> {
  await cp(files, dir, { recursive: true })
  const dependencies: Record<string, string> = {}
  for (const tarball of tarballs) {
    const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'])
    const { name } = JSON.parse(stdout) as { name: string }
    dependencies[name] = `file:${tarball}`
  }
  for (const name of wanted) expect(dependencies[name], `a tarball of ${name}`).toBeDefined()
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'scratch', private: true, type: 'module', dependencies, devDependencies }, null, 2)}\n`)
  await run(NPM, ['install', ...NPM_FLAGS], { cwd: dir, maxBuffer: 16 * 1024 * 1024 })
  // Every ringstore package in the tree came from a tarball, none from the registry.
  const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> }
  const ours = Object.entries(lock.packages).filter(([path]) => /node_modules\/(ringstore|@ringstore\/[^/]+)$/.test(path))
  expect(ours.length).toBeGreaterThanOrEqual(wanted.length)
  for (const [path, entry] of ours) expect(entry.resolved ?? '', path).toMatch(/^file:.*\.tgz$/)
}

interface ClusterPeer { readonly name: string, readonly http: string, readonly peerId: string }

/** `ringstore cluster` (3 daemons) through the installed bin, allowing `origin`'s pages. */
async function startCluster (app: string, baseDir: string, origin: string): Promise<ClusterPeer[]> {
  // A random base port (busy ones fall back to free ones): parallel runs do not collide.
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  const child = cluster = spawn(join(app, 'node_modules', '.bin', 'ringstore'), [
    'cluster', '--peers', '3', '--base-dir', baseDir, '--http-port', String(port), '--p2p-port', String(port + 1000),
    '--log-level', 'warn', '--', '--allow-origin', origin
  ], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`ringstore cluster not up after ${CLUSTER_TIMEOUT_MS} ms`)) }, CLUSTER_TIMEOUT_MS)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`ringstore cluster exited with ${String(code)}`)) })
    lines.on('line', (line) => { if (CLUSTER_UP.test(line)) { clearTimeout(timer); resolve() } })
  })
  lines.on('line', () => undefined)
  const peers = JSON.parse(await readFile(join(baseDir, 'cluster.json'), 'utf8')) as ClusterPeer[]
  expect(peers).toHaveLength(3)
  return peers
}

/** Runs the compiled scratch Node script; its one JSON line. */
async function nodeScript (app: string, args: readonly string[]): Promise<{ key: string, values: string[] }> {
  const { stdout } = await run(process.execPath, [join(app, 'out', 'main.js'), ...args], { cwd: app, timeout: 60_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { key: string, values: string[] }
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' }

/** A static server for the built app on a free loopback port. */
async function serve (root: string): Promise<Server> {
  const s = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '')
    const file = join(root, path === '/' ? 'index.html' : path)
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { resolve() })
  })
  return s
}
