/**
 * The attack the lockdown closes, in real headless Chromium: a page from another loopback
 * origin (a tiny node:http server on another port, as any local dev server or a page the
 * operator opens would be) tries to read /status and a value, overwrite a value and delete
 * a key on the daemon with fetch. Before the lockdown CORS `*` let it read and write
 * everything; now each attempt fails in the browser (403, no CORS headers: the page
 * cannot even read the refusal), and the data is unchanged.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { chromium } from '@playwright/test'
import type { Browser } from '@playwright/test'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTEXT, Fixture, get, http, put } from './support.js'
import type { Daemon } from './support.js'

/** As packages/browser/vitest.config.ts launches Chromium here (root in a container, nothing phoning home). */
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns'
]

const fixture = new Fixture()
let d: Daemon
let attacker: Server
let attackerUrl: string
let browser: Browser

beforeAll(async () => {
  d = await fixture.start('victim', ['--n', '1', '--r', '1', '--w', '1'])
  expect((await put(d, 'k', 'original')).status).toBe(204)
  expect((await put(d, 'doomed', 'still here')).status).toBe(204)
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end('<!doctype html><title>another local page</title>')
  })
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  const address = attacker.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  attackerUrl = `http://127.0.0.1:${address.port}/`
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true })
})
afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => attacker?.close(resolve))
  await fixture.killAll()
})

/** What the page got from each attempt: the body it could read, or the browser's refusal. */
interface Outcome { readonly what: string, readonly read?: string, readonly status?: number, readonly refused?: string }

describe('a page from another loopback origin, in Chromium', () => {
  it('cannot read /status or a value, overwrite a value or delete a key; the data is unchanged', async () => {
    const page = await browser.newPage()
    await page.goto(attackerUrl)
    expect(new URL(page.url()).origin).not.toBe(new URL(d.http).origin)
    const context = (await get(d, 'doomed')).context ?? ''
    const outcomes = await page.evaluate(async ({ base, context, header }) => {
      const attempt = async (what: string, url: string, init?: RequestInit): Promise<Outcome> => {
        try {
          const res = await fetch(url, init)
          return { what, status: res.status, read: await res.text() }
        } catch (error) {
          return { what, refused: String(error) }
        }
      }
      return [
        await attempt('read /status', `${base}/status`),
        await attempt('read a value', `${base}/kv/k`),
        await attempt('overwrite a value', `${base}/kv/k`, { method: 'PUT', body: 'pwned' }),
        await attempt('delete a key', `${base}/kv/doomed`, { method: 'DELETE', headers: { [header]: context } }),
        // A "simple" request needs no preflight: it reaches the daemon, which must refuse it itself.
        await attempt('blind write without preflight', `${base}/kv/k`, { method: 'POST', mode: 'no-cors', body: 'pwned' }),
        await attempt('read the bootstrap', `${base}/bootstrap`)
      ]
    }, { base: d.http, context, header: CONTEXT })
    await page.close()

    for (const outcome of outcomes) {
      // Refused by the browser (no CORS headers), or an opaque no-cors reply it cannot read.
      expect(outcome.read ?? '', outcome.what).not.toContain('original')
      expect(outcome.read ?? '', outcome.what).not.toContain(d.peerId)
      expect(outcome.refused !== undefined || outcome.status === 0, `${outcome.what}: ${JSON.stringify(outcome)}`).toBe(true)
    }
    expect((await get(d, 'k')).text).toBe('original')
    expect((await get(d, 'doomed')).text).toBe('still here')
    // The daemon refused them itself (403), not only the browser's CORS check.
    const refused = (await http(d.http, 'GET', '/metrics')).text.split('\n').filter((l) => l.startsWith('ringstore_http_responses_total') && l.includes('"403"'))
    expect(refused.length).toBeGreaterThan(0)
  })
})
