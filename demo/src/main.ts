/**
 * Entry point of the shopping-cart demo: the cart id from the URL, this tab's browser peer
 * from @ringstore/browser, and `window.ringstore` for the end-to-end tests.
 */
import './styles.css'
import { createBrowserPeer } from '@ringstore/browser'
import { DemoApp } from './app.js'
import type { DemoPeer } from './peer-types.js'
import type { RingstoreHandle } from './app.js'
import { ensureCartId } from './cart-id.js'

declare global {
  interface Window { ringstore: RingstoreHandle }
}

const app = new DemoApp(ensureCartId(window), async (options) => {
  const peer: DemoPeer = await createBrowserPeer(options)
  return peer
})
window.ringstore = app.handle()
window.addEventListener('pagehide', () => { void app.peer?.stop() })
