/**
 * Fuzzing the decoders: random bytes, random CBOR trees, truncated and mutated valid
 * frames. Each decode must either throw a CodecError or return a valid message, and a
 * valid message must re-encode to exactly the input (one encoding per message).
 */
import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { encode as cbor } from 'cborg'
import {
  decodeAnnouncement, decodeClock, decodeContext, decodeFrame, decodeRecord, decodeRequest, decodeResponse,
  encodeAnnouncement, encodeClock, encodeContext, encodeFrame, encodeRecord, encodeRequest, encodeResponse
} from '../src/codec.js'
import { encodeWire } from '../src/codec-wire.js'
import { CodecError } from '../src/errors.js'
import { arbAnnouncement, arbClock, arbFrame, arbRecord } from './codec-arbitraries.js'

interface Codec { name: string, decode: (b: Uint8Array) => unknown, encode: (x: never) => Uint8Array }

const CODECS: Codec[] = [
  { name: 'frame', decode: decodeFrame, encode: encodeFrame },
  { name: 'request', decode: decodeRequest, encode: encodeRequest },
  { name: 'response', decode: decodeResponse, encode: encodeResponse },
  { name: 'clock', decode: decodeClock, encode: encodeClock },
  { name: 'context', decode: decodeContext, encode: encodeContext },
  { name: 'record', decode: decodeRecord, encode: encodeRecord },
  { name: 'announcement', decode: decodeAnnouncement, encode: encodeAnnouncement }
]
const FRAME = CODECS[0]!

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** Decode `bytes`; success must round-trip to the same bytes, failure must be a CodecError. Returns whether it decoded. */
function decodesCleanly (codec: Codec, bytes: Uint8Array): boolean {
  let value: unknown
  try {
    value = codec.decode(bytes)
  } catch (err) {
    if (!(err instanceof CodecError)) throw new Error(`${codec.name} threw ${String(err)} for ${hex(bytes).slice(0, 200)}`, { cause: err })
    return false
  }
  expect(hex(codec.encode(value as never))).toBe(hex(bytes))
  return true
}

/** Random CBOR-able trees biased towards the shapes of our messages (small ints, short arrays). */
const arbWire: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -2, max: 10 }),
    fc.constantFrom(null, true, false, 0, 1, 64, 65, 2 ** 20, Number.MAX_SAFE_INTEGER, 1.5, -1),
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.constantFrom('a', 'b', 'k', '', '\u0000'),
    fc.uint8Array({ maxLength: 20 }),
    fc.array(tie('node'), { maxLength: 5 }),
    fc.tuple(fc.nat(10), fc.array(tie('node'), { maxLength: 7 })).map(([tag, rest]) => [tag, ...rest])
  )
})).node

describe('decoders never throw anything but CodecError', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      for (const codec of CODECS) decodesCleanly(codec, bytes)
    }), { numRuns: 3000 })
  })

  it('random CBOR trees', () => {
    let decoded = 0
    fc.assert(fc.property(arbWire, (wire) => {
      const bytes = cbor(wire)
      for (const codec of CODECS) if (decodesCleanly(codec, bytes)) decoded++
    }), { numRuns: 3000 })
    // The generator reaches valid messages too (e.g. [6] is members-pull), not only errors.
    expect(decoded).toBeGreaterThan(0)
  })

  it('encodeWire writes exactly what cborg encode writes', () => {
    const floats = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 0.5, 65504, 65505, 1e-8, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -(2 ** 32) - 1, 2 ** 53, -(2 ** 53), 2 ** 64))
    fc.assert(fc.property(fc.oneof(arbWire, fc.array(floats, { maxLength: 4 }), fc.integer(), fc.string({ unit: 'grapheme', maxLength: 8 })), (wire) => {
      expect(hex(encodeWire(wire))).toBe(hex(cbor(wire)))
    }), { numRuns: 3000 })
  })

  it('every truncation of a valid frame is refused', () => {
    fc.assert(fc.property(arbFrame, (frame) => {
      const bytes = encodeFrame(frame)
      for (let n = 0; n < bytes.length; n++) expect(() => decodeFrame(bytes.subarray(0, n))).toThrow(CodecError)
    }), { numRuns: 300 })
  })

  it('mutated valid frames: flipped bytes either fail cleanly or decode to a valid frame', () => {
    let survived = 0
    fc.assert(fc.property(arbFrame, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (frame, flips) => {
      const bytes = encodeFrame(frame).slice()
      for (const [at, mask] of flips) bytes[at % bytes.length]! ^= mask
      if (decodesCleanly(FRAME, bytes)) survived++
    }), { numRuns: 4000 })
    // Some flips land in payload bytes and yield another valid frame; most must not crash.
    expect(survived).toBeGreaterThan(0)
  })

  it('mutated clocks, records and announcements', () => {
    const mutate = (bytes: Uint8Array, at: number, mask: number): Uint8Array => {
      const out = bytes.slice()
      out[at % out.length]! ^= mask
      return out
    }
    const flip = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))
    fc.assert(fc.property(arbClock, arbRecord, arbAnnouncement, flip, (clock, record, a, [at, mask]) => {
      decodesCleanly(CODECS[3]!, mutate(encodeClock(clock), at, mask))
      decodesCleanly(CODECS[5]!, mutate(encodeRecord(record), at, mask))
      decodesCleanly(CODECS[6]!, mutate(encodeAnnouncement(a), at, mask))
    }), { numRuns: 2000 })
  })

  it('byte insertions and deletions in valid frames', () => {
    fc.assert(fc.property(arbFrame, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (frame, at, byte, insert) => {
      const bytes = encodeFrame(frame)
      const i = at % (bytes.length + 1)
      const edited = insert
        ? Uint8Array.from([...bytes.subarray(0, i), byte, ...bytes.subarray(i)])
        : Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + 1)])
      decodesCleanly(FRAME, edited)
    }), { numRuns: 2000 })
  })
})
