/**
 * Per-key rights for clients (key-rights.ts): capability, owner and public keys, and deny
 * by default for every other key.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CAPABILITY_ID_MIN_CHARS, capabilityKey, clientKeyProblem, keyKind, ownerKey } from '../src/key-rights.js'

const ID = 'A'.repeat(CAPABILITY_ID_MIN_CHARS)
const may = (key: string, client: string, access: 'read' | 'write'): boolean => clientKeyProblem(key, client, access) === undefined

describe('per-key rights', () => {
  it('a capability key: anyone who names it reads and writes, only with an id of 128 bits or more', () => {
    expect(keyKind(`cap/${ID}/cart`)).toEqual({ kind: 'capability', id: ID })
    expect(may(`cap/${ID}`, 'tab', 'write')).toBe(true)
    expect(may(`cap/${ID}/cart/items`, 'anyone', 'read')).toBe(true)
    expect(clientKeyProblem(`cap/${ID.slice(1)}/cart`, 'tab', 'write')).toMatch(/at least 22 characters/)
    expect(clientKeyProblem(`cap/${ID.slice(1)}/cart`, 'tab', 'read')).toMatch(/at least 22 characters/)
    expect(clientKeyProblem('cap/has space in it 12345678/cart', 'tab', 'write')).toMatch(/base64url/)
  })

  it('an owner key: anyone reads, only its owner writes', () => {
    expect(may('~alice/profile', 'bob', 'read')).toBe(true)
    expect(may('~alice/profile', 'alice', 'write')).toBe(true)
    expect(clientKeyProblem('~alice/profile', 'bob', 'write')).toMatch(/written by that peer alone/)
    // The name alone, or an empty name, is no owner key.
    expect(may('~alice', 'alice', 'write')).toBe(false)
    expect(may('~/x', '', 'write')).toBe(false)
  })

  it('a public key: clients read, never write', () => {
    expect(may('pub/prices', 'tab', 'read')).toBe(true)
    expect(clientKeyProblem('pub/prices', 'tab', 'write')).toMatch(/read-only for clients/)
  })

  it('denies every other key to clients, whatever the client', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('read' as const, 'write' as const), (key, client, access) => {
      fc.pre(!key.startsWith('cap/') && !key.startsWith('~') && !key.startsWith('pub/'))
      expect(clientKeyProblem(key, client, access)).toMatch(/members and operators/)
    }))
  })

  it('builds the keys it accepts', () => {
    expect(may(capabilityKey(ID, 'cart'), 'x', 'write')).toBe(true)
    expect(capabilityKey(ID)).toBe(`cap/${ID}`)
    expect(() => capabilityKey('short')).toThrow(RangeError)
    expect(may(ownerKey('alice', 'notes/1'), 'alice', 'write')).toBe(true)
    expect(() => ownerKey('alice', '')).toThrow(RangeError)
  })
})
