/**
 * The cart is a capability (demo/src/cart-id.ts): a new id is 128 random bits, a URL's id
 * is used only when it is long enough to be a capability id, and the cart's key is one a
 * tab (a client) may write.
 */
import { capabilityIdProblem, clientKeyProblem } from '@ringstore/core'
import { describe, expect, it } from 'vitest'
import { cartIdFromUrl, cartKey, newCartId } from '../src/cart-id.js'

describe('cart ids', () => {
  it('are new capability ids, all different, and their key is writable by any tab that knows them', () => {
    const ids = Array.from({ length: 200 }, () => newCartId())
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) {
      expect(capabilityIdProblem(id)).toBeUndefined()
      expect(cartIdFromUrl(new URL(`http://shop.test/?cart=${id}`))).toBe(id)
      expect(clientKeyProblem(cartKey(id), 'some-tab', 'write')).toBeUndefined()
    }
  })

  it('ignores a guessable id in the URL (a new cart is made instead)', () => {
    expect(cartIdFromUrl(new URL('http://shop.test/?cart=abc123'))).toBeNull()
    expect(cartIdFromUrl(new URL('http://shop.test/#abc123'))).toBeNull()
  })
})
