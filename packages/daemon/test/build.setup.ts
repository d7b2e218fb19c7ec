/**
 * Vitest global setup (root config): builds the daemon bundle once before any test file
 * runs, so the daemon tests spawn the same artifact (bin → dist/cli.js) that users run, and
 * never a stale one. esbuild, ~0.3 s.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export default function buildDaemonBundle (): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../build.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] })
}
