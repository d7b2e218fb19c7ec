/**
 * The key that seals the HTTP API's contexts (http/context-seal.ts). Derived from the
 * cluster secret (HKDF-SHA256, its own info string), so every daemon that holds the secret
 * checks the contexts any other issued. A daemon that joined with `--admission` holds no
 * secret: it keeps a random key of its own in `DATA_DIR/context-key` (0600, the token
 * file's format), so its contexts are checked by itself alone, and a client that moves
 * between it and another daemon re-reads before it writes (400 `bad_context` says so).
 */
import { hkdfSync } from 'node:crypto'
import { join } from 'node:path'
import { loadOrCreateTokenFile } from './http-token.js'

/** HKDF's info string: binds the derived key to this one use of the secret. */
const CONTEXT_KEY_INFO = 'ringstore http context seal v1'

/** The file of a daemon without the secret. */
export const CONTEXT_KEY_FILE = 'context-key'

const KEY_BYTES = 32

export function contextKeyFromSecret (secret: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), CONTEXT_KEY_INFO, KEY_BYTES))
}

export async function loadOrCreateContextKey (dataDir: string): Promise<Uint8Array> {
  const { token } = await loadOrCreateTokenFile(join(dataDir, CONTEXT_KEY_FILE))
  return new Uint8Array(Buffer.from(token, 'base64url'))
}
