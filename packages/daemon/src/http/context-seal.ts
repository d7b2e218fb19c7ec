/**
 * Sealed causal contexts: the X-Ringstore-Context strings the HTTP API hands out carry a
 * MAC, so a context the cluster did not issue is refused with 400 `bad_context` before it
 * reaches the engine.
 *
 * Why: a context is a claim "I have seen these versions". The engine takes it at its word
 * when it mints a write, so a made-up one could claim counters far beyond what a key holds
 * (a counter of 2^53-2 once made a key unwritable) or versions that never existed. The
 * engine now survives an exhausted counter (a new actor epoch), but only versions somebody
 * really read should be superseded by name. The MAC is over the key and the encoded
 * context, so a context read from one key cannot be replayed on another (a busy key's
 * large counters would otherwise be a way to poison a quiet one).
 *
 * The string is `<base64url context>.<base64url tag>`, the tag the first 16 bytes of
 * HMAC-SHA256 keyed with a key derived from the cluster secret (trust.ts), so every daemon
 * of the cluster checks what any other issued: a client may read from one daemon and
 * write through another. The empty header still means "no context" (a blind write claims
 * nothing, so there is nothing to check).
 */
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { contextFromString, encodeContext, utf8 } from '@ringstore/core'
import type { Key, VersionVector } from '@ringstore/core'
import { CONTEXT_HEADER, HttpError } from './respond.js'

/** Bytes of the tag: 128 bits, far beyond what guessing over HTTP could reach. */
const TAG_BYTES = 16

/** Separates the context from its tag; never in base64url. */
const SEPARATOR = '.'

/** Domain of the MAC's input, so the key could never be confused with another use's. */
const DOMAIN = Buffer.from('ringstore http context v1\u0000', 'utf8')

export class ContextSeal {
  /**
   * The MAC key as a KeyObject, imported once: createHmac with raw bytes imports them on
   * every call (about a quarter of a seal's cost, measured: bench/README.md, 2026-12-07).
   */
  readonly #key: KeyObject

  /** `key`: 32 bytes (trust.ts derives it). */
  constructor (key: Uint8Array) {
    if (key.byteLength < 32) throw new RangeError('a context key has at least 32 bytes')
    this.#key = createSecretKey(key)
  }

  /**
   * The header value for `context`, read or written on `key`. Every GET and PUT reply
   * carries one. The text is core's `contextToString` (strict unpadded base64url of
   * `encodeContext`), spelled with Buffer's native encoder: the same characters (a test
   * checks it), without the ~2.4 KB of short-lived strings per reply that the portable
   * encoder builds one character at a time.
   */
  seal (key: Key, context: VersionVector): string {
    const encoded = encodeContext(context)
    const text = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength).toString('base64url')
    return `${text}${SEPARATOR}${this.#tag(key, text).toString('base64url')}`
  }

  /** The context a header value carries: 400 `bad_context` unless this cluster issued it for `key`. */
  open (key: Key, header: string): VersionVector {
    if (header === '') return []
    const at = header.lastIndexOf(SEPARATOR)
    if (at < 0) throw badContext('it carries no seal (contexts come from a read or write of this API)')
    const text = header.slice(0, at)
    // Compared as text, not decoded: base64url's last character has bits a decoder
    // ignores, and a seal has exactly one spelling.
    const given = Buffer.from(header.slice(at + 1))
    const expected = Buffer.from(this.#tag(key, text).toString('base64url'))
    if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) {
      throw badContext('its seal does not match: it was not issued by this cluster, or for another key')
    }
    try {
      return contextFromString(text)
    } catch (error) {
      throw badContext(error instanceof Error ? error.message : String(error))
    }
  }

  /** HMAC-SHA256(DOMAIN ‖ u32be(utf8 length of key) ‖ utf8(key) ‖ text), first TAG_BYTES. */
  #tag (key: Key, text: string): Buffer {
    const keyBytes = utf8(key)
    const length = Buffer.allocUnsafe(4)
    length.writeUInt32BE(keyBytes.byteLength)
    return createHmac('sha256', this.#key).update(DOMAIN).update(length).update(keyBytes).update(text).digest().subarray(0, TAG_BYTES)
  }
}

function badContext (why: string): HttpError {
  return new HttpError(400, 'bad_context', `${CONTEXT_HEADER} is not a context this cluster issued for this key: ${why}`)
}
