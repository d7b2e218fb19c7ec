/**
 * A manual smoke run of the demo against a live cluster (not part of `npm test`):
 *   npx tsx demo/scripts/smoke.ts <demo url>
 * Two tabs share one cart; tab A goes offline; both change the cart; A comes back online;
 * both must end with the merged cart (no lost add, no resurrected remove, larger quantity).
 */
import { chromium } from 'playwright-core'
import type { Page } from 'playwright-core'

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const base = process.argv[2] ?? 'http://localhost:4173/'
const cart = `smoke${Date.now().toString(36)}`

async function items (page: Page): Promise<Record<string, number>> {
  return (await page.evaluate(() => window.ringstore.cart.read())).items
}

async function until (what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const started = Date.now()
  while (!await check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS })
try {
  const context = await browser.newContext()
  const [a, b] = [await context.newPage(), await context.newPage()]
  for (const page of [a, b]) {
    page.on('pageerror', (e) => { console.error('page error:', e.message) })
    await page.goto(`${base}?cart=${cart}`)
    await page.evaluate(() => window.ringstore.ready)
  }
  await a.evaluate(async () => {
    await window.ringstore.cart.setQuantity('mug', 2)
    await window.ringstore.cart.add('teapot')
    await window.ringstore.cart.add('apron')
  })
  await until('tab B to see tab A\'s cart', async () => JSON.stringify(await items(b)) === JSON.stringify({ apron: 1, mug: 2, teapot: 1 }))
  console.log('shared cart seen by both tabs:', await items(b))

  await a.evaluate(() => window.ringstore.faults?.goOffline())
  const offline = await a.evaluate(async () => {
    const t0 = performance.now()
    await window.ringstore.cart.setQuantity('mug', 3) // A: 2 → 3
    await window.ringstore.cart.remove('teapot') //       A removes, B leaves it alone
    await window.ringstore.cart.add('candle') //          A adds
    return { ms: performance.now() - t0, status: window.ringstore.peer?.status() }
  })
  console.log(`offline: 3 changes in ${offline.ms.toFixed(1)} ms, online=${String(offline.status?.online)}, hints=${String(offline.status?.hintsPending)}`)
  await b.evaluate(async () => {
    await window.ringstore.cart.setQuantity('mug', 5) // B: 2 → 5
    await window.ringstore.cart.add('board') //          B adds
  })
  await a.evaluate(() => window.ringstore.faults?.goOnline())
  const expected = JSON.stringify({ apron: 1, board: 1, candle: 1, mug: 5 })
  await until('both tabs to converge', async () => JSON.stringify(await items(a)) === expected && JSON.stringify(await items(b)) === expected, 60_000)
  console.log('converged:', await items(a), await items(b))
  const merges = await Promise.all([a, b].map((p) => p.evaluate(() => window.ringstore.sync?.merges.length ?? 0)))
  console.log('sibling merges recorded (A, B):', merges)

  // The same through the UI's own controls.
  await a.click('[data-inc="mug"]')
  await a.click('[data-remove="apron"]')
  await until('the UI change to land', async () => JSON.stringify(await items(a)) === JSON.stringify({ board: 1, candle: 1, mug: 6 }))
  await a.click('[data-fault="online"]')
  await a.waitForSelector('[data-online="false"]')
  await a.click('[data-dec="mug"]')
  await until('tab A offline to hold mug ×5', async () => (await items(a)).mug === 5)
  await a.click('[data-fault="online"]')
  await a.waitForSelector('[data-online="true"]', { timeout: 30_000 })
  await until('tab B to see the UI changes', async () => JSON.stringify(await items(b)) === JSON.stringify({ board: 1, candle: 1, mug: 5 }), 60_000)
  const member = await a.getAttribute('[data-block]', 'data-block')
  await a.click(`[data-block="${member ?? ''}"]`)
  await until('the block to show', async () => (await a.evaluate(() => window.ringstore.peer?.status().blocked ?? [])).includes(member ?? ''))
  await a.click(`[data-block="${member ?? ''}"]`)
  await until('the unblock to show', async () => (await a.evaluate(() => window.ringstore.peer?.status().blocked ?? [])).length === 0)
  console.log('UI controls: stepper, remove, go offline/online, block/unblock all work; B sees', await items(b))
} finally {
  await browser.close()
}
