/**
 * SHA-256 in pure JavaScript (@noble/hashes): what browsers and the simulator use. The
 * core imports `#sha256`, which package.json maps to sha256-node.ts under Node (the same
 * function, native) and to this file everywhere else; both give identical bytes.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

/** SHA-256 of `bytes` (32 bytes, a fresh array the caller owns). */
export function sha256 (bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes)
}
