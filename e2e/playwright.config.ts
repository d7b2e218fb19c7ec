/**
 * End-to-end tests: the built demo served by real daemons, driven in Debian's Chromium
 * (no browser download). Run with `npm run test:e2e`. One worker: the machine has 2 cores
 * and every tab runs a full libp2p peer. No retries: a flaky test is a bug.
 */
import { register } from 'node:module'
import { defineConfig } from '@playwright/test'

// Workspace packages from their TypeScript sources (source-condition.mjs).
register('./source-condition.mjs', import.meta.url)

/**
 * No sandbox (root in a container), nothing phoning home, no QUIC, and plain local ICE
 * candidates (no mDNS `.local` names) so that tab-to-tab WebRTC works on loopback.
 */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns'
]

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  outputDir: '../test-results/e2e',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS },
    trace: 'off',
    screenshot: 'off',
    video: 'off'
  }
})
