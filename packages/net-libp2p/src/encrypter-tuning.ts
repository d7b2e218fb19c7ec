/**
 * Node only: wraps the connection encrypter (noise) to remove two per-message costs of
 * the libp2p 3 stack that showed in the daemons' CPU profiles, without changing a byte on
 * the wire:
 *
 * - the raw TCP connection is corked per event-loop turn (tcp-cork.ts);
 * - noise's length-prefix decoder learns that a buffer holds no complete prefix yet by
 *   catching a RangeError, which its uint16 decoder creates anew, with a stack trace, at
 *   the end of every chunk it reads (once per TCP read: ~2 µs in isolation, ~11 µs inside
 *   the daemon's deep stacks, measured). The replacement throws one preallocated
 *   RangeError, which the decoder treats identically.
 *
 * The second is a patch of a private field of @chainsafe/libp2p-noise 17
 * (EncryptedMessageStream.decoder.lengthDecoder); it is applied only when that field has
 * the expected shape, and test/encrypter-tuning.test.ts fails if it stops applying.
 */
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'
import { corkPerTurn } from './tcp-cork.js'

/** Wraps an encrypter factory such as `noise()`. */
export function tuneEncrypter<C, E extends ConnectionEncrypter> (factory: (components: C) => E): (components: C) => E {
  return (components) => {
    const encrypter = factory(components)
    const secureInbound = encrypter.secureInbound.bind(encrypter)
    const secureOutbound = encrypter.secureOutbound.bind(encrypter)
    encrypter.secureInbound = async (connection, options) => {
      const secured = await secureInbound(corkPerTurn(connection), options)
      cheapenLengthDecoder(secured.connection)
      return secured
    }
    encrypter.secureOutbound = async (connection, options) => {
      const secured = await secureOutbound(corkPerTurn(connection), options)
      cheapenLengthDecoder(secured.connection)
      return secured
    }
    return encrypter
  }
}

/** Thrown (never created anew) when fewer than two bytes of a length prefix are buffered. */
const NEED_MORE_BYTES = new RangeError('Could not decode int16BE')

/** Noise's 2-byte big-endian message length, as @chainsafe/libp2p-noise's uint16BEDecode. */
function cheapUint16BEDecode (data: Uint8Array | { length: number, getUint16: (at: number) => number }): number {
  if (data.length < 2) throw NEED_MORE_BYTES
  if (data instanceof Uint8Array) return ((data[0] as number) << 8) + (data[1] as number)
  return data.getUint16(0)
}

interface LengthDecoderHost {
  decoder?: { lengthDecoder?: unknown, encodingLength?: unknown }
}

/**
 * Swaps the secured connection's length decoder if it is noise's 2-byte one; returns
 * whether it did (tests check that it still does after an upgrade of the noise package).
 */
export function cheapenLengthDecoder (connection: MessageStream): boolean {
  const decoder = (connection as unknown as LengthDecoderHost).decoder
  if (decoder === undefined || typeof decoder.lengthDecoder !== 'function' || typeof decoder.encodingLength !== 'function') return false
  // Recognised by behaviour, not by name (bundlers rename functions): a 2-byte big-endian length.
  if ((decoder.encodingLength as (n: number) => unknown)(0) !== 2) return false
  try {
    if ((decoder.lengthDecoder as (d: Uint8Array) => unknown)(Uint8Array.of(1, 2)) !== 0x0102) return false
  } catch {
    return false
  }
  decoder.lengthDecoder = cheapUint16BEDecode
  return true
}
