/**
 * Codec round trips, canonical encoding, context strings, sealed records and the typed
 * errors. Bounds and rejections: codec-limits.test.ts; random input: codec-fuzz.test.ts.
 */
import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import {
  CODEC_LIMITS, clockDigest, contextFromString, contextToString, crc32, decodeAnnouncement, decodeClock, decodeContext,
  decodeFrame, decodeRecord, decodeRequest, decodeResponse, encodeAnnouncement, encodeClock, encodeContext, encodeFrame,
  encodeRecord, encodeRequest, encodeResponse, openRecord, sealRecord
} from '../src/codec.js'
import {
  CodecError, CorruptRecordError, InvalidKeyError, InvalidValueError, ValueTooLargeError, validateKey, validateValue
} from '../src/errors.js'
import type { DvvSet } from '../src/types.js'
import { LIMITS } from '../src/types.js'
import { emptyClock, context, sync, update } from '../src/versions.js'
import {
  arbAnnouncement, arbClock, arbContext, arbFrame, arbKey, arbRecord, arbRequest, arbResponse, arbSibling
} from './codec-arbitraries.js'

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** A structurally equal clock built from fresh objects, with values in offset views of larger buffers. */
function deepCopy (clock: DvvSet): DvvSet {
  const copyValue = (v: Uint8Array | null): Uint8Array | null => {
    if (v === null) return null
    const big = new Uint8Array(v.length + 7).fill(0xee)
    big.set(v, 3)
    return big.subarray(3, 3 + v.length)
  }
  return {
    entries: clock.entries.map((e) => ({ ...e, values: e.values.map((s) => ({ ts: s.ts, value: copyValue(s.value) })) })),
    anonymous: clock.anonymous.map((s) => ({ value: copyValue(s.value), ts: s.ts, ignored: 'extra field' }))
  }
}

describe('round trips', () => {
  it('every request variant', () => {
    fc.assert(fc.property(arbRequest, (r) => {
      const bytes = encodeRequest(r)
      expect(decodeRequest(bytes)).toEqual(r)
      expect(encodeRequest(decodeRequest(bytes))).toEqual(bytes)
    }), { numRuns: 1000 })
  })

  it('every response variant', () => {
    fc.assert(fc.property(arbResponse, (r) => {
      const bytes = encodeResponse(r)
      expect(decodeResponse(bytes)).toEqual(r)
      expect(encodeResponse(decodeResponse(bytes))).toEqual(bytes)
    }), { numRuns: 1000 })
  })

  it('frames of both kinds, any safe request id', () => {
    fc.assert(fc.property(arbFrame, (f) => {
      expect(decodeFrame(encodeFrame(f))).toEqual(f)
    }), { numRuns: 1000 })
    const max = { kind: 'response', id: Number.MAX_SAFE_INTEGER, response: { type: 'ok' } } as const
    expect(decodeFrame(encodeFrame(max))).toEqual(max)
  })

  it('clocks, contexts, records and announcements', () => {
    fc.assert(fc.property(arbClock, arbContext, arbRecord, arbAnnouncement, (clock, vv, record, a) => {
      expect(decodeClock(encodeClock(clock))).toEqual(clock)
      expect(decodeContext(encodeContext(vv))).toEqual(vv)
      expect(decodeRecord(encodeRecord(record))).toEqual(record)
      expect(decodeAnnouncement(encodeAnnouncement(a))).toEqual(a)
    }), { numRuns: 500 })
  })

  it('unicode keys survive unchanged (astral, combining, right-to-left, max length)', () => {
    const keys = ['😀🛒', 'e\u0301', 'مرحبا', '\uFEFF', '\uFFFF', 'a'.repeat(LIMITS.keyBytes), '😀'.repeat(LIMITS.keyBytes / 4)]
    for (const key of keys) expect(decodeRequest(encodeRequest({ type: 'replica-get', key }))).toEqual({ type: 'replica-get', key })
    fc.assert(fc.property(arbKey, (key) => {
      expect(decodeRequest(encodeRequest({ type: 'replica-get', key }))).toEqual({ type: 'replica-get', key })
    }), { numRuns: 500 })
  })

  it('replica-put without hintFor decodes without the property', () => {
    const r = decodeRequest(encodeRequest({ type: 'replica-put', key: 'k', clock: emptyClock() }))
    expect('hintFor' in r).toBe(false)
  })

  it('clocks built by versions.ts (update, sync) round trip', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), arbSibling, fc.boolean()), { maxLength: 12 }), (ops) => {
      let clock = emptyClock()
      for (const [actor, sibling, withContext] of ops) clock = update(clock, withContext ? context(clock) : [], sibling, actor)
      expect(decodeClock(encodeClock(clock))).toEqual(clock)
    }), { numRuns: 300 })
  })
})

describe('canonical encoding', () => {
  it('equal clocks give equal bytes and equal digests', () => {
    fc.assert(fc.property(arbClock, (clock) => {
      const copy = deepCopy(clock)
      expect(hex(encodeClock(copy))).toBe(hex(encodeClock(clock)))
      expect(hex(clockDigest(copy))).toBe(hex(clockDigest(clock)))
    }), { numRuns: 500 })
  })

  it('clocks merged in either order give the same digest', () => {
    fc.assert(fc.property(arbClock, arbClock, (a, b) => {
      expect(hex(clockDigest(sync(a, b)))).toBe(hex(clockDigest(sync(b, a))))
    }), { numRuns: 300 })
  })

  it('different clocks give different bytes and digests', () => {
    fc.assert(fc.property(arbClock, arbClock, (a, b) => {
      const equalClocks = JSON.stringify(a, replacer) === JSON.stringify(b, replacer)
      expect(hex(encodeClock(a)) === hex(encodeClock(b))).toBe(equalClocks)
      expect(hex(clockDigest(a)) === hex(clockDigest(b))).toBe(equalClocks)
    }), { numRuns: 300 })
    const one = { entries: [{ actor: 'a', counter: 1, values: [{ value: new Uint8Array([1]), ts: 1 }], ts: 1 }], anonymous: [] }
    const two = { entries: [{ actor: 'a', counter: 1, values: [{ value: new Uint8Array([2]), ts: 1 }], ts: 1 }], anonymous: [] }
    expect(hex(clockDigest(one))).not.toBe(hex(clockDigest(two)))
  })

  it('a Node Buffer value encodes like the same bytes in a Uint8Array', () => {
    const withValue = (value: Uint8Array): DvvSet => ({ entries: [{ actor: 'a', counter: 1, values: [{ value, ts: 1 }], ts: 1 }], anonymous: [] })
    expect(hex(encodeClock(withValue(Buffer.from([1, 2, 3]))))).toBe(hex(encodeClock(withValue(Uint8Array.from([1, 2, 3])))))
  })

  it('the digest is the first 16 bytes of sha256 of the encoding', () => {
    // sha256 of the empty clock [[], []] = 0x82 0x80 0x80, computed independently (sha256sum).
    expect(hex(encodeClock(emptyClock()))).toBe('828080')
    expect(hex(clockDigest(emptyClock()))).toBe('04739a73c0e57cb5cacfe05d45689a92')
    expect(clockDigest(emptyClock()).length).toBe(CODEC_LIMITS.clockDigestBytes)
  })
})

function replacer (_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? hex(value) : value
}

describe('context strings', () => {
  it('round trip as unpadded base64url', () => {
    fc.assert(fc.property(arbContext, (vv) => {
      const s = contextToString(vv)
      expect(s).toMatch(/^[A-Za-z0-9_-]+$/)
      expect(contextFromString(s)).toEqual(vv)
    }), { numRuns: 500 })
  })

  it('the empty context is "gA" and "" also reads as empty', () => {
    expect(contextToString([])).toBe('gA')
    expect(contextFromString('gA')).toEqual([])
    expect(contextFromString('')).toEqual([])
  })

  it('garbage is a CodecError', () => {
    const clockString = contextToString([['a', 1]]).replace(/./, 'x')
    const bad = [
      'gA==', 'g', 'gB', 'g A', '!!!!', '+/8', 'gA\n', 'é', clockString,
      contextToString([]).repeat(2), // two CBOR items
      hexToB64('828080'), // a clock, not a context
      hexToB64('81826161'), // truncated entry
      'A'.repeat(CODEC_LIMITS.contextChars + 4)
    ]
    for (const s of bad) expect(() => contextFromString(s), s.slice(0, 20)).toThrow(CodecError)
    expect(() => contextFromString(42 as unknown as string)).toThrow(CodecError)
  })

  it('a maximal context fits the string bound', () => {
    const actor = (i: number): string => `${String(i).padStart(3, '0')}${'x'.repeat(LIMITS.idBytes - 3)}`
    const vv = Array.from({ length: LIMITS.clockEntries }, (_, i) => [actor(i), Number.MAX_SAFE_INTEGER] as const)
    const s = contextToString(vv)
    expect(s.length).toBeLessThanOrEqual(CODEC_LIMITS.contextChars)
    expect(contextFromString(s)).toEqual(vv)
  })
})

function hexToB64 (h: string): string {
  const bytes = Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16))
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

describe('sealed records', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })

  it('round trip', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (payload) => {
      expect(openRecord(sealRecord(payload))).toEqual(payload)
    }), { numRuns: 500 })
  })

  it('every single-bit flip is detected', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (payload) => {
      const sealed = sealRecord(payload)
      for (let bit = 0; bit < sealed.length * 8; bit++) {
        const bad = sealed.slice()
        bad[bit >> 3]! ^= 1 << (bit & 7)
        expect(() => openRecord(bad)).toThrow(CorruptRecordError)
      }
    }), { numRuns: 100 })
  })

  it('every truncation is detected, and all-zero blocks are refused', () => {
    const sealed = sealRecord(new TextEncoder().encode('a stored clock'))
    for (let n = 0; n < sealed.length; n++) expect(() => openRecord(sealed.subarray(0, n))).toThrow(CorruptRecordError)
    for (let n = 0; n < 40; n++) expect(() => openRecord(new Uint8Array(n))).toThrow(CorruptRecordError)
  })

  it('sealed clocks open and decode back', () => {
    fc.assert(fc.property(arbClock, (clock) => {
      expect(decodeClock(openRecord(sealRecord(encodeClock(clock))))).toEqual(clock)
    }), { numRuns: 200 })
  })
})

describe('errors and input validators', () => {
  it('have stable names', () => {
    const errors = [new CodecError('x', 'a.b'), new InvalidKeyError('x'), new InvalidValueError('x'), new ValueTooLargeError(5, 4), new CorruptRecordError('x')]
    expect(errors.map((e) => e.name)).toEqual(['CodecError', 'InvalidKeyError', 'InvalidValueError', 'ValueTooLargeError', 'CorruptRecordError'])
    expect([CodecError.name, InvalidKeyError.name, ValueTooLargeError.name, CorruptRecordError.name])
      .toEqual(['CodecError', 'InvalidKeyError', 'ValueTooLargeError', 'CorruptRecordError'])
    expect(errors[0]).toMatchObject({ field: 'a.b', message: 'a.b: x' })
    expect(errors[3]).toMatchObject({ size: 5, limit: 4 })
  })

  it('validateKey accepts valid keys and refuses the rest', () => {
    expect(validateKey('cart:42')).toBe('cart:42')
    expect(validateKey('é'.repeat(LIMITS.keyBytes / 2))).toHaveLength(LIMITS.keyBytes / 2)
    const bad: unknown[] = ['', 'a\u0000b', 'a'.repeat(LIMITS.keyBytes + 1), 'é'.repeat(LIMITS.keyBytes / 2 + 1),
      '😀'.repeat(LIMITS.keyBytes / 4 + 1), 'x\uD800', '\uDC00y', 42, null, undefined, ['k'], new Uint8Array(1)]
    for (const key of bad) expect(() => validateKey(key)).toThrow(InvalidKeyError)
  })

  it('validateValue accepts bytes up to the limit', () => {
    expect(validateValue(new Uint8Array(LIMITS.valueBytes)).length).toBe(LIMITS.valueBytes)
    expect(() => validateValue(new Uint8Array(LIMITS.valueBytes + 1))).toThrow(ValueTooLargeError)
    try {
      validateValue(new Uint8Array(LIMITS.valueBytes + 1))
    } catch (err) {
      expect(err).toMatchObject({ size: LIMITS.valueBytes + 1, limit: LIMITS.valueBytes })
    }
    for (const v of ['abc', null, [1, 2], new ArrayBuffer(2)]) expect(() => validateValue(v)).toThrow(InvalidValueError)
  })

  it('encoders refuse invalid messages with CodecError, never another error', () => {
    const bad: unknown[] = [
      null, 42, {}, { type: 'nope' }, { type: 'replica-get' }, { type: 'replica-get', key: '' },
      { type: 'replica-put', key: 'k', clock: null }, { type: 'replica-put', key: 'k', clock: { entries: [{}], anonymous: [] } },
      { type: 'coordinate-put', key: 'k', value: 'str', context: [], n: 3, w: 2, ts: 0 },
      { type: 'ae-nodes', partition: -1, level: 0, indices: [] },
      { type: 'ae-roots', partitions: [-1] }, { type: 'ae-roots', partitions: [0.5] }, { type: 'ae-roots' },
      { type: 'replica-digest' }, { type: 'replica-digest', key: 'a\u0000b' }, { type: 'replica-digest', key: 7 }
    ]
    for (const r of bad) expect(() => encodeRequest(r as never)).toThrow(CodecError)
    expect(() => encodeFrame({ kind: 'other', id: 1 } as never)).toThrow(CodecError)
    expect(() => encodeFrame({ kind: 'request', id: -1, request: { type: 'members-pull' } })).toThrow(CodecError)
    expect(() => encodeClock({ entries: [], anonymous: [{ value: null, ts: NaN }] })).toThrow(CodecError)
    expect(() => encodeContext([['b', 1], ['a', 1]])).toThrow(CodecError)
  })
})
