/**
 * Takes the demo's screenshot with the system's headless Chromium (never a downloaded one):
 *   npx tsx demo/scripts/screenshot.ts <url> [out.png]
 * It fills a cart through the UI, then writes a concurrent version of the cart straight
 * into the store (a put without context: a sibling) so the conflicts panel has a merge
 * to show, and saves a full-page PNG.
 */
import { chromium } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

const url = process.argv[2] ?? 'http://127.0.0.1:4173/?cart=screenshot'
const out = process.argv[3] ?? 'demo/screenshot.png'

const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 })
  page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()) })
  page.on('pageerror', (e) => { console.error('page error:', e.message) })
  await page.goto(url)
  await page.evaluate(() => window.ringstore.ready)
  for (const id of ['teapot', 'mug', 'mug', 'candle']) await page.click(`[data-add="${id}"]`)
  await page.evaluate(() => window.ringstore.cart.setQuantity('kettle', 1))
  // Another tab's concurrent version: the same mug (×3) and a board, but no candle or kettle.
  await page.evaluate(async () => {
    const rs = window.ringstore
    const other = { v: 1, ctx: [['other-tab', 2]], items: [['mug', [['other-tab', 1, 3]]], ['board', [['other-tab', 2, 1]]]] }
    await rs.peer?.put(`cart:${new URL(location.href).searchParams.get('cart') ?? ''}`, new TextEncoder().encode(JSON.stringify(other)), { w: 1 })
    await rs.cart.read()
  })
  await page.waitForSelector('.merge')
  await page.mouse.move(0, 0) // no hover effect on the last card clicked
  await page.evaluate(() => { window.scrollTo(0, 0) }) // sticky header and cart in place
  await page.waitForTimeout(300) // one frame for the status redraw (a screenshot, not a test)
  await page.screenshot({ path: out, fullPage: true })
  console.log(`saved ${out}`)
  // Close-ups at full resolution, to check the details: <out>-top.png and <out>-hood.png.
  await page.screenshot({ path: out.replace(/\.png$/, '-top.png') })
  await page.locator('#hood').screenshot({ path: out.replace(/\.png$/, '-hood.png') })
} finally {
  await browser.close()
}
