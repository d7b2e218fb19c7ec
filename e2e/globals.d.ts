/** `window.ringstore`, the demo's test handle (demo/src/main.ts), as the specs see it inside page.evaluate. */
import type { RingstoreHandle } from '../demo/src/app.js'

declare global {
  interface Window { ringstore: RingstoreHandle }
}

export {}
