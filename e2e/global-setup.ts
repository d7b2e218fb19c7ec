/**
 * Playwright global setup: builds the demo (vite, ~2 s) and the daemon (esbuild, ~0.3 s;
 * always, so the tests never run a stale bundle), starts the shared cluster of 3 daemons
 * (the 2nd and 3rd joining through the 1st) and hands their addresses to the workers through RINGSTORE_E2E_DAEMONS.
 * Returns the teardown, which stops every daemon and removes the data dirs.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DaemonSet } from './daemons.js'

export const DAEMONS_ENV = 'RINGSTORE_E2E_DAEMONS'
const REPO = fileURLToPath(new URL('..', import.meta.url))

export default async function globalSetup (): Promise<() => Promise<void>> {
  execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url)), 'build', '--logLevel', 'error'], { cwd: REPO, stdio: 'inherit' })
  // The daemons run the compiled bundle (packages/daemon/dist): rebuild it too (~0.3 s).
  execFileSync(process.execPath, [fileURLToPath(new URL('../packages/daemon/build.mjs', import.meta.url))], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] })
  const daemons = new DaemonSet()
  try {
    const cluster = await daemons.cluster('d', 3)
    process.env[DAEMONS_ENV] = JSON.stringify(cluster.map((d) => d.info))
  } catch (error) {
    await daemons.stopAll()
    throw error
  }
  return async () => { await daemons.stopAll() }
}
