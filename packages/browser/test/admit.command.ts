/**
 * The browser command `admit` (registered in vitest.config.ts, run in the Vitest Node
 * process): what an operator does for a tab that is to be a full peer, `ringstore admit`
 * through the daemon's bin with the cluster secret, returning the certificate field of the
 * line it prints. The page never sees the secret, only the certificate.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { BrowserCommand } from 'vitest/node'
import { BIN } from './bin.js'

export const admit: BrowserCommand<[secretFile: string, peerId: string, weight: number]> = async (_context, secretFile, peerId, weight) => {
  // The arguments come from the page: pass them only as separate argv entries, never through a shell.
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'admit', '--cluster-secret', secretFile, '--peer-id', peerId, '--weight', String(weight)])
  const { certificate } = JSON.parse(stdout) as { certificate?: unknown }
  if (typeof certificate !== 'string') throw new Error(`ringstore admit printed no certificate: ${stdout}`)
  return certificate
}
