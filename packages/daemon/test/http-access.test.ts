/**
 * Who may use the HTTP API (http/access.ts, README Security model): the bearer token on
 * every API route (401 without it or with a wrong one), the open /bootstrap and demo
 * files, the Host check against DNS rebinding (421), Origins (403 unless allowed, CORS
 * headers for the allowed ones only), the token file (0600, reused, refused when others
 * may read it), --metrics-open, --http-token-file and the warning on a non-loopback bind.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATIC_ROOT_ENV } from '../src/http/static.js'
import { Fixture, http, poll, TEST_DEFAULTS, tokenOf } from './support.js'
import type { Daemon } from './support.js'

const PAGE = 'http://localhost:5173'
const fixture = new Fixture()
let d: Daemon
let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ringstore-access-'))
  await mkdir(join(scratch, 'dist'))
  await writeFile(join(scratch, 'dist', 'index.html'), '<!doctype html><title>shop</title>')
  process.env[STATIC_ROOT_ENV] = join(scratch, 'dist')
  d = await fixture.start('guarded', ['--n', '1', '--r', '1', '--w', '1', '--allow-origin', PAGE, '--http-host', 'ringstore.test'])
  Reflect.deleteProperty(process.env, STATIC_ROOT_ENV)
  expect((await http(d.http, 'PUT', '/kv/k', { body: 'original' })).status).toBe(204)
})
afterAll(async () => {
  await fixture.killAll()
  await rm(scratch, { recursive: true, force: true })
})

/** Every protected route, with a request that would succeed (or fail only on its body) given the token. */
const PROTECTED: Array<[string, string, string?]> = [
  ['GET', '/kv/k'], ['PUT', '/kv/k', 'overwritten'], ['DELETE', '/kv/k'], ['GET', '/replica/k'],
  ['GET', '/status'], ['GET', '/metrics'], ['GET', '/admin/leave'], ['POST', '/admin/leave', '{}'], ['POST', '/admin/remove', '{}']
]

/** A request with any Host header (fetch sets its own). */
async function withHost (base: string, host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const url = new URL(base)
  return await new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET', headers: { ...headers, Host: host } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }) })
    })
    req.on('error', reject)
    req.end()
  })
}

async function valueOfK (): Promise<string> {
  return (await http(d.http, 'GET', '/kv/k')).text
}

describe('the bearer token', () => {
  for (const [method, path, body] of PROTECTED) {
    it(`${method} ${path} without a token or with a wrong one: 401 unauthorized`, async () => {
      for (const token of [null, 'not-the-token', `${tokenOf(d.http)}x`]) {
        const reply = await http(d.http, method, path, { token, ...(body === undefined ? {} : { body }) })
        expect(reply.status).toBe(401)
        expect(reply.json).toMatchObject({ error: 'unauthorized' })
        expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer/)
      }
    })
  }

  it('with the token the same routes answer, and nothing was changed without it', async () => {
    expect(await valueOfK()).toBe('original')
    expect((await http(d.http, 'GET', '/status')).status).toBe(200)
    expect((await http(d.http, 'GET', '/metrics')).status).toBe(200)
    expect((await http(d.http, 'GET', '/admin/leave')).status).toBe(200)
    // Another scheme, or the token without its scheme, is no bearer token.
    expect((await http(d.http, 'GET', '/status', { token: null, headers: { Authorization: tokenOf(d.http) } })).status).toBe(401)
    expect((await http(d.http, 'GET', '/status', { token: null, headers: { Authorization: `Basic ${tokenOf(d.http)}` } })).status).toBe(401)
  })

  it('GET /bootstrap and the demo files need none; /bootstrap tells what a page needs and nothing else', async () => {
    const boot = await http(d.http, 'GET', '/bootstrap', { token: null })
    expect(boot.status).toBe(200)
    expect(Object.keys(boot.json ?? {}).sort()).toEqual(['addrs', 'cluster', 'clusterId', 'config', 'tcpAddrs'])
    expect(boot.json).toMatchObject({ clusterId: d.ready.clusterId, config: { q: expect.any(Number), n: 1, r: 1, w: 1 } })
    const addrs = boot.json?.addrs as string[]
    expect(addrs.length).toBeGreaterThan(0)
    for (const addr of addrs) expect(addr).toMatch(/\/ws\/p2p\//)
    const tcpAddrs = boot.json?.tcpAddrs as string[]
    expect(tcpAddrs.length).toBeGreaterThan(0)
    for (const addr of tcpAddrs) expect(addr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    const page = await http(d.http, 'GET', '/', { token: null })
    expect([page.status, page.text]).toEqual([200, '<!doctype html><title>shop</title>'])
    expect((await http(d.http, 'PUT', '/bootstrap', { token: null, body: 'x' })).status).toBe(405)
  })

  it('the token file is the ready line\'s tokenFile, DATA_DIR/http-token, 0600, and survives a restart', async () => {
    expect(d.ready.tokenFile).toBe(join(d.dataDir, 'http-token'))
    expect((await stat(d.ready.tokenFile)).mode & 0o777).toBe(0o600)
    const token = (await readFile(d.ready.tokenFile, 'utf8')).trim()
    expect(Buffer.from(token, 'base64url').byteLength).toBe(32)
    // The ready line keeps its other fields.
    expect(Object.keys(d.ready).sort()).toEqual(['addrs', 'clusterId', 'clusterSecret', 'event', 'http', 'peerId', 'tokenFile'])
    await fixture.kill(d, 'SIGTERM')
    d = await fixture.restart(d)
    expect((await readFile(d.ready.tokenFile, 'utf8')).trim()).toBe(token)
    expect((await http(d.http, 'GET', '/kv/k', { token })).text).toBe('original')
  })
})

describe('Host and Origin', () => {
  it('a Host the daemon does not serve (DNS rebinding) gets 421 misdirected, even with the token', async () => {
    const rebound = await withHost(d.http, `rebind.attacker.example:${new URL(d.http).port}`, '/kv/k', { Authorization: `Bearer ${tokenOf(d.http)}` })
    expect([rebound.status, rebound.body.error]).toEqual([421, 'misdirected'])
    expect((await withHost(d.http, 'rebind.attacker.example', '/bootstrap')).status).toBe(421)
    expect((await withHost(d.http, `localhost:${Number(new URL(d.http).port) + 1}`, '/bootstrap')).status).toBe(421)
  })

  it('the loopback names with its port, and --http-host names, are served', async () => {
    const port = new URL(d.http).port
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `ringstore.test:${port}`]) {
      expect((await withHost(d.http, host, '/bootstrap')).status, host).toBe(200)
    }
  })

  it('an Origin not allowed gets 403 forbidden_origin on every route, token or not, and changes nothing', async () => {
    const evil = { Origin: 'http://127.0.0.1:1' }
    for (const [method, path, body] of [...PROTECTED, ['GET', '/bootstrap'] as [string, string]]) {
      const reply = await http(d.http, method, path, { headers: evil, ...(body === undefined ? {} : { body }) })
      expect([reply.status, reply.json?.error], `${method} ${path}`).toEqual([403, 'forbidden_origin'])
      expect(reply.headers.get('access-control-allow-origin')).toBeNull()
    }
    expect((await http(d.http, 'OPTIONS', '/kv/k', { token: null, headers: { ...evil, 'Access-Control-Request-Method': 'PUT' } })).status).toBe(403)
    expect(await valueOfK()).toBe('original')
  })

  it('an allowed origin gets CORS headers naming it (never *), and still needs the token', async () => {
    const allowed = await http(d.http, 'GET', '/kv/k', { headers: { Origin: PAGE } })
    expect([allowed.status, allowed.text]).toEqual([200, 'original'])
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PAGE)
    expect(allowed.headers.get('vary')).toBe('Origin')
    const tokenless = await http(d.http, 'GET', '/kv/k', { token: null, headers: { Origin: PAGE } })
    expect(tokenless.status).toBe(401)
    const plain = await http(d.http, 'GET', '/kv/k')
    expect(plain.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('the daemon\'s own origin (the demo page it served) may fetch /bootstrap, without CORS headers', async () => {
    const own = await http(d.http, 'GET', '/bootstrap', { token: null, headers: { Origin: d.http } })
    expect(own.status).toBe(200)
    expect(own.headers.get('access-control-allow-origin')).toBeNull()
    // Its own origin is no token: the API stays closed to the page.
    expect((await http(d.http, 'GET', '/status', { token: null, headers: { Origin: d.http } })).status).toBe(401)
  })
})

describe('token file and flags', () => {
  it('refuses to start on a token file that group or others may read', async () => {
    const dataDir = join(await fixture.dir(), 'open-token')
    await mkdir(dataDir, { recursive: true })
    const file = join(dataDir, 'http-token')
    await writeFile(file, `${Buffer.alloc(32, 7).toString('base64url')}\n`, { mode: 0o640 })
    await chmod(file, 0o640)
    const run = fixture.spawnRaw(['start', '--data-dir', dataDir, ...TEST_DEFAULTS, '--cluster-secret', await fixture.secret()])
    expect((await run.exited).code).toBe(1)
    expect(run.stderr.join('\n')).toMatch(/readable by others \(mode 640\); run chmod 600/)
    expect(run.stdout).toEqual([])
  })

  it('--http-token-file reads (or creates) the token there; --metrics-open opens /metrics alone', async () => {
    const file = join(await fixture.dir(), 'shared-token')
    const m = await fixture.start('metrics-open', ['--http-token-file', file, '--metrics-open'])
    expect(m.ready.tokenFile).toBe(file)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const metrics = await http(m.http, 'GET', '/metrics', { token: null })
    expect(metrics.status).toBe(200)
    expect(metrics.text).toContain('ringstore_')
    expect((await http(m.http, 'GET', '/status', { token: null })).status).toBe(401)
    expect((await http(m.http, 'GET', '/status', { token: (await readFile(file, 'utf8')).trim() })).status).toBe(200)
    // Without the flag /metrics needs the token (the first describe checks d).
  })

  it('warns on stderr when the API is bound beyond loopback, and keeps it closed', async () => {
    const wide = await fixture.start('wide', ['--http', '0.0.0.0:0'])
    await poll('the warning', () => wide.stderr.some((line) => line.includes('WARNING: the HTTP API at') && line.includes(wide.ready.tokenFile)))
    const local = `http://127.0.0.1:${new URL(wide.http).port}`
    expect((await http(local, 'GET', '/status', { token: null })).status).toBe(401)
    expect(d.stderr.some((line) => line.includes('WARNING'))).toBe(false)
  })
})
