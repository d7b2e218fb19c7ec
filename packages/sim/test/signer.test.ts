import { describe, expect, it } from 'vitest'
import { SimSigner } from '../src/signer.js'

describe('SimSigner (deterministic stand-in, not secure)', () => {
  const data = new TextEncoder().encode('record bytes')

  it('verifies its own signatures and is deterministic', async () => {
    const a = new SimSigner('peer-a')
    const sig = await a.sign(data)
    expect(sig).toEqual(await new SimSigner('peer-a').sign(data))
    expect(await a.verify('peer-a', data, sig)).toBe(true)
    expect(await new SimSigner('peer-b').verify('peer-a', data, sig)).toBe(true)
  })

  it('rejects another author, changed bytes and truncated signatures', async () => {
    const sig = await new SimSigner('peer-a').sign(data)
    const b = new SimSigner('peer-b')
    expect(await b.verify('peer-b', data, sig)).toBe(false)
    const changed = data.slice()
    changed[0] = changed[0]! ^ 1
    expect(await b.verify('peer-a', changed, sig)).toBe(false)
    expect(await b.verify('peer-a', data, sig.slice(1))).toBe(false)
  })
})
