import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { sha256 as nodeSha256 } from '../src/sha256-node.js'
import { sha256 as portableSha256 } from '../src/sha256-portable.js'
import { keyHash } from '../src/index.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

describe('sha256: the native (Node) and portable (browser, simulator) builds', () => {
  it('give the published digests of the FIPS 180-2 examples', () => {
    const abc = new TextEncoder().encode('abc')
    const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    expect(hex(nodeSha256(abc))).toBe(expected)
    expect(hex(portableSha256(abc))).toBe(expected)
    expect(hex(nodeSha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('agree on any input, views into larger buffers included', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(16), (bytes, skip) => {
      const view = bytes.subarray(Math.min(skip, bytes.length))
      expect(hex(nodeSha256(view))).toBe(hex(portableSha256(view)))
    }), { numRuns: 500 })
  })

  it('return a plain 32-byte Uint8Array of their own, not a pooled Buffer', () => {
    const a = nodeSha256(new Uint8Array([1, 2, 3]))
    expect(a.constructor).toBe(Uint8Array)
    expect(a.byteLength).toBe(32)
    expect(a.buffer.byteLength).toBe(32)
    const b = nodeSha256(new Uint8Array([1, 2, 3]))
    b[0] = b[0]! ^ 0xff
    expect(a[0]).not.toBe(b[0])
  })

  it('is what the core hashes keys with under Node (package.json "#sha256", node condition)', () => {
    expect(hex(keyHash('cart:42'))).toBe(createHash('sha256').update('cart:42').digest('hex'))
  })
})
