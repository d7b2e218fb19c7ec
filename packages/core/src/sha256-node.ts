/**
 * SHA-256 from Node's OpenSSL binding, for the daemon (package.json maps `#sha256` here
 * under the "node" condition; sha256-portable.ts elsewhere). Same bytes as @noble/hashes,
 * which a test checks; it is here for speed in a freshly started process: the pure-JS hash
 * runs ~2× slower until V8 has optimised it, and a daemon that just restarted hashes every
 * key it receives three times (key, clock digest, Merkle entry) while catching up.
 * Hashing is computation, not I/O: the core stays deterministic.
 */
import { hash } from 'node:crypto'

/** SHA-256 of `bytes` (32 bytes, a fresh array the caller owns). */
export function sha256 (bytes: Uint8Array): Uint8Array {
  // One-shot `hash` (Node ≥ 20.12; engines asks 20.19): no Hash object per call as with
  // `createHash` (256 bytes: 1.4 → 1.0 µs; bench/README.md, "Anti-entropy roots"). A plain
  // Uint8Array copy, not the Buffer it returns: Buffer's slice() is a view, and small
  // Buffers may share a pooled slab; callers slice and keep digests.
  return new Uint8Array(hash('sha256', bytes, 'buffer'))
}
