/**
 * The daemon serves the built demo: GET / is index.html, assets carry their content type,
 * nothing outside the folder is reachable (dot-dot, encoded dot-dot, encoded slashes,
 * NUL), a missing build says how to make it, and the API routes are unchanged.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STATIC_ROOT_ENV } from '../src/http/static.js'
import { Fixture, http } from './support.js'
import type { Daemon } from './support.js'

/** A raw GET that sends the path byte for byte (fetch would normalise `..` away). */
async function rawGet (base: string, path: string): Promise<{ status: number, body: string, type: string | undefined }> {
  const url = new URL(base)
  return await new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), type: res.headers['content-type'] }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('static demo files', () => {
  const fixture = new Fixture()
  let daemon: Daemon
  let empty: Daemon
  let scratch: string

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'ringstore-static-'))
    const dist = join(scratch, 'dist')
    await mkdir(join(dist, 'assets'), { recursive: true })
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>shop</title>')
    await writeFile(join(dist, 'assets', 'app-123.js'), 'console.log(1)')
    await writeFile(join(scratch, 'secret.txt'), 'do not serve')
    // The child inherits the environment at spawn time.
    process.env[STATIC_ROOT_ENV] = dist
    daemon = await fixture.start('static')
    process.env[STATIC_ROOT_ENV] = join(scratch, 'missing')
    empty = await fixture.start('nobuild')
    Reflect.deleteProperty(process.env, STATIC_ROOT_ENV)
  })
  afterAll(async () => {
    await fixture.killAll()
    await rm(scratch, { recursive: true, force: true })
  })

  it('serves index.html at / (query allowed) and assets with their content type', async () => {
    const root = await http(daemon.http, 'GET', '/?cart=abc')
    expect(root.status).toBe(200)
    expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(root.text).toBe('<!doctype html><title>shop</title>')
    const asset = await http(daemon.http, 'GET', '/assets/app-123.js')
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(asset.text).toBe('console.log(1)')
    const head = await http(daemon.http, 'HEAD', '/index.html')
    expect(head.status).toBe(200)
    expect(head.text).toBe('')
  })

  it('refuses every way out of the folder', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets%2f..%2f..%2fsecret.txt', '/%00index.html', '/..%5csecret.txt', '/%zz']) {
      const reply = await rawGet(daemon.http, path)
      expect(reply.status, path).toBeGreaterThanOrEqual(400)
      expect(reply.status, path).toBeLessThan(500)
      expect(reply.body, path).not.toContain('do not serve')
      expect(reply.type, path).toMatch(/^application\/json/)
    }
    expect((await rawGet(daemon.http, '/assets')).status).toBe(404)
  })

  it('leaves the API routes alone', async () => {
    expect((await http(daemon.http, 'GET', '/status')).json).toMatchObject({ peerId: daemon.peerId })
    expect((await http(daemon.http, 'GET', '/kv/nothing-here?n=1&r=1')).status).toBe(404)
    expect((await http(daemon.http, 'POST', '/index.html')).json).toMatchObject({ error: 'not_found' })
  })

  it('without a build: 404 naming npm run build:demo', async () => {
    const reply = await http(empty.http, 'GET', '/')
    expect(reply.status).toBe(404)
    expect(reply.json).toMatchObject({ error: 'not_found' })
    expect(String(reply.json?.message)).toContain('npm run build:demo')
  })
})
