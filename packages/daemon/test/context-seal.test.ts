/**
 * The seal on the HTTP API's contexts (http/context-seal.ts): what one daemon seals for a
 * key, any daemon with the same key opens, and nothing else opens: another key, another
 * cluster's key, a changed context, a changed or missing seal.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { contextToString, utf8 } from '@ringstore/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { contextKeyFromSecret } from '../src/context-key.js'
import { ContextSeal } from '../src/http/context-seal.js'
import { HttpError } from '../src/http/respond.js'

const secret = randomBytes(32)
const contextKey = contextKeyFromSecret(secret)
const here = new ContextSeal(contextKeyFromSecret(secret))
const sameCluster = new ContextSeal(contextKeyFromSecret(Buffer.from(secret)))
const otherCluster = new ContextSeal(contextKeyFromSecret(randomBytes(32)))

const context = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z]{1,8}:[0-9]$/), fc.integer({ min: 1, max: 2 ** 40 })), { selector: ([actor]) => actor, maxLength: 6 })
  .map((entries) => entries.sort(([a], [b]) => (a < b ? -1 : 1)))
const key = fc.string({ minLength: 1, maxLength: 40 })

function refusal (open: () => unknown): string | undefined {
  try {
    open()
    return undefined
  } catch (error) {
    return error instanceof HttpError ? `${error.status} ${error.code}` : String(error)
  }
}

describe('sealed contexts', () => {
  it('open on any daemon of the cluster, for the key they were sealed for', () => {
    fc.assert(fc.property(context, key, (vv, k) => {
      expect(sameCluster.open(k, here.seal(k, vv))).toEqual(vv)
    }))
  })

  it('are refused for another key, by another cluster, or once changed', () => {
    fc.assert(fc.property(context, key, key, fc.nat(), (vv, k, other, at) => {
      const sealed = here.seal(k, vv)
      if (other !== k) expect(refusal(() => here.open(other, sealed))).toBe('400 bad_context')
      expect(refusal(() => otherCluster.open(k, sealed))).toBe('400 bad_context')
      // One character changed anywhere, context or seal.
      const i = at % sealed.length
      const changed = `${sealed.slice(0, i)}${sealed[i] === 'A' ? 'B' : 'A'}${sealed.slice(i + 1)}`
      expect(refusal(() => here.open(k, changed))).toBe('400 bad_context')
    }))
  })

  // Daemons of different versions check each other's seals, so the spelling is fixed:
  // `<contextToString(vv)>.<base64url of HMAC-SHA256(domain, u32be key length, key, text)[0..16]>`.
  it('are spelled exactly as every version of the daemon spells them', () => {
    fc.assert(fc.property(context, key, (vv, k) => {
      const text = contextToString(vv)
      const keyBytes = utf8(k)
      const length = Buffer.alloc(4)
      length.writeUInt32BE(keyBytes.byteLength)
      const tag = createHmac('sha256', contextKey).update('ringstore http context v1\u0000').update(length).update(keyBytes).update(text).digest().subarray(0, 16)
      expect(here.seal(k, vv)).toBe(`${text}.${tag.toString('base64url')}`)
    }))
  })

  it('refuses an unsealed context, and takes the empty header as no context', () => {
    expect(refusal(() => here.open('k', contextToString([['a:1', 5]])))).toBe('400 bad_context')
    expect(refusal(() => here.open('k', 'garbage.garbage'))).toBe('400 bad_context')
    expect(here.open('k', '')).toEqual([])
  })
})
