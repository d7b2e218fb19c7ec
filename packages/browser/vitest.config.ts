/**
 * Vitest browser mode for @ringstore/browser: the suites run in real headless Chromium
 * (Debian's /usr/bin/chromium driven by Playwright; no browser is downloaded), against
 * real daemons that test/daemons.setup.ts starts in Node. Run with `npm run test:browser`.
 *
 * The specs are named *.spec.ts so the root Node run (packages/*\/test/**\/*.test.ts)
 * leaves them alone; the package's pure-logic *.test.ts files run there.
 */
import { fileURLToPath } from 'node:url'
import { playwright } from '@vitest/browser-playwright'
import { defaultClientConditions, defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'
import { admit } from './test/admit.command.js'

/**
 * Chromium flags: no sandbox (we run as root in a container), nothing phoning home, no
 * QUIC, and plain local ICE candidates (no mDNS `.local` names announced by multicast).
 */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns'
]

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Workspace packages from their TypeScript sources (the "@ringstore/source" export
  // condition), in the page and in the Node-side setup alike: no dist/ needed.
  resolve: { conditions: ['@ringstore/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@ringstore/source', ...defaultServerConditions], externalConditions: ['@ringstore/source'] } },
  test: {
    include: ['test/**/*.spec.ts'],
    globalSetup: ['test/daemons.setup.ts'],
    setupFiles: ['test/rtc-recorder.setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One page for all spec files: they share the daemons, and two pages would double the load on 2 cores.
    fileParallelism: false,
    browser: {
      enabled: true,
      headless: true,
      // Failures print the error and the page's console; screenshots would land in the tree.
      screenshotFailures: false,
      provider: playwright({
        launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS }
      }),
      instances: [{ browser: 'chromium' }],
      // `ringstore admit` for a spec's full-weight tab (test/admit.command.ts).
      commands: { admit }
    }
  }
})
