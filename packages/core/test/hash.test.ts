import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import {
  RingInputError, hashPrefixHex, hashPrefixUint32, keyHash, partitionBits, partitionOf, partitionOfHash,
  partitionRange, utf8
} from '../src/hash.js'

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/** Storage key layout used by the peer. */
const storageKey = (key: string): string => `${hashPrefixHex(key)}/${key}`

const inRange = (s: string, range: { gte: string, lt: string }): boolean => s >= range.gte && s < range.lt

describe('keyHash', () => {
  it('is SHA-256 of the UTF-8 key (FIPS 180-2 vectors)', () => {
    expect(hex(keyHash('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(hex(keyHash(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(hex(keyHash('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))
      .toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1')
    expect(keyHash('anything')).toHaveLength(32)
  })

  it('encodes non-ASCII keys as UTF-8', () => {
    expect(Array.from(utf8('é€'))).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac])
    expect(hex(keyHash('é€'))).toBe(hex(keyHash(String.fromCodePoint(0xe9, 0x20ac))))
    expect(hex(keyHash('é'))).not.toBe(hex(keyHash('e\u0301')))
  })
})

describe('hashPrefixHex and partitionOf', () => {
  it('takes the first 4 bytes, big-endian', () => {
    expect(hashPrefixHex('abc')).toBe('ba7816bf')
    expect(hashPrefixUint32(keyHash('abc'))).toBe(0xba7816bf)
    expect(partitionOf('abc', 1)).toBe(0)
    expect(partitionOf('abc', 2)).toBe(1) // top bit of 0xba is 1
    expect(partitionOf('abc', 1024)).toBe(0xba7816bf >>> 22)
    expect(partitionOf('abc', 1024)).toBe(745)
    expect(partitionOf('abc', 2 ** 32)).toBe(0xba7816bf)
  })

  it('gives an 8-char lowercase hex prefix and a partition in [0, q)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 0, max: 32 }), (key, bits) => {
      const q = 2 ** bits
      const p = partitionOf(key, q)
      expect(hashPrefixHex(key)).toMatch(/^[0-9a-f]{8}$/)
      expect(Number.isInteger(p) && p >= 0 && p < q).toBe(true)
      expect(partitionOfHash(keyHash(key), q)).toBe(p)
    }), { numRuns: 300 })
  })

  it('nests: halving q merges neighbouring partitions', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 1, max: 32 }), (key, bits) => {
      expect(partitionOf(key, 2 ** (bits - 1))).toBe(Math.floor(partitionOf(key, 2 ** bits) / 2))
    }), { numRuns: 300 })
  })

  it('refuses a partition count that is not a power of two in [1, 2^32]', () => {
    for (const q of [0, 3, 1000, -4, 1.5, Number.NaN, Infinity, 2 ** 33]) {
      expect(() => partitionOf('k', q)).toThrow(RingInputError)
    }
    expect(partitionBits(1)).toBe(0)
    expect(partitionBits(1024)).toBe(10)
    expect(partitionBits(2 ** 32)).toBe(32)
    expect(() => partitionBits(3)).toThrow(expect.objectContaining({ name: 'RingInputError' }))
  })

  it('refuses a hash shorter than 4 bytes', () => {
    expect(() => partitionOfHash(new Uint8Array(3), 16)).toThrow(RingInputError)
  })
})

describe('partitionRange', () => {
  it('bounds exactly the storage keys of the partition', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 0, max: 20 }), (key, bits) => {
      const q = 2 ** bits
      const p = partitionOf(key, q)
      expect(inRange(storageKey(key), partitionRange(p, q))).toBe(true)
      if (p > 0) expect(inRange(storageKey(key), partitionRange(p - 1, q))).toBe(false)
      if (p < q - 1) expect(inRange(storageKey(key), partitionRange(p + 1, q))).toBe(false)
    }), { numRuns: 500 })
  })

  it('tiles the storage key space without gaps or overlaps', () => {
    for (const q of [1, 2, 16, 1024]) {
      expect(partitionRange(0, q).gte).toBe('00000000')
      expect(partitionRange(q - 1, q).lt).toBe('g')
      for (let p = 0; p + 1 < q; p++) expect(partitionRange(p, q).lt).toBe(partitionRange(p + 1, q).gte)
    }
    expect(partitionRange(1, 4)).toEqual({ gte: '40000000', lt: '80000000' })
    expect(partitionRange(2 ** 32 - 1, 2 ** 32)).toEqual({ gte: 'ffffffff', lt: 'g' })
    // The last partition's bound sorts after the highest possible storage key.
    expect('ffffffff/\u{10FFFF}' < partitionRange(0, 1).lt).toBe(true)
  })

  it('refuses partitions outside [0, q)', () => {
    for (const p of [-1, 16, 1.5, Number.NaN]) expect(() => partitionRange(p, 16)).toThrow(RingInputError)
  })
})
