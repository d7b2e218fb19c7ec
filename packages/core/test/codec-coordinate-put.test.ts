/**
 * coordinate-put's optional trailing `silent` list: present only when non-empty, so a
 * forward without it is byte-identical to the 6-field form, and the wire has one form.
 */
import { describe, expect, it } from 'vitest'
import { encode as cbor } from 'cborg'
import { decodeRequest, encodeRequest } from '../src/codec.js'
import { CodecError } from '../src/errors.js'
import type { Request } from '../src/messages.js'

const COORDINATE_PUT_TAG = 7
const base = { type: 'coordinate-put', key: 'k', value: Uint8Array.from([1]), context: [], n: 3, w: 2, ts: 5 } as const satisfies Request

describe('coordinate-put silent primaries', () => {
  it('round-trips a silent list', () => {
    const put: Request = { ...base, silent: ['peer-a', 'peer-b'] }
    expect(decodeRequest(encodeRequest(put))).toEqual(put)
  })

  it('encodes an empty or absent list as the 6-field form', () => {
    const plain = encodeRequest(base)
    expect(encodeRequest({ ...base, silent: [] })).toEqual(plain)
    expect(decodeRequest(plain)).toEqual(base)
    expect(decodeRequest(plain)).not.toHaveProperty('silent')
  })

  it('refuses an empty list on the wire, a non-list, and a bad peer id', () => {
    const wire = (silent: unknown): Uint8Array => cbor([COORDINATE_PUT_TAG, 'k', Uint8Array.from([1]), [], 3, 2, 5, silent])
    expect(() => decodeRequest(wire([]))).toThrow(CodecError)
    expect(() => decodeRequest(wire('peer-a'))).toThrow(CodecError)
    expect(() => decodeRequest(wire([7]))).toThrow(CodecError)
    expect(() => decodeRequest(wire(Array.from({ length: 65 }, (_, i) => `p${i}`)))).toThrow(CodecError)
    expect(decodeRequest(wire(['peer-a']))).toEqual({ ...base, silent: ['peer-a'] })
  })
})
