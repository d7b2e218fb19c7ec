import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { encodeRecord } from '@ringstore/core'
import type { MemberRecord, PeerId, SignedAdmission, SignedRecord } from '@ringstore/core'
import { describe, expect, it } from 'vitest'
import { clusterAuthority } from '../src/cluster-authority.js'
import { CLUSTER_SECRET_BYTES } from '../src/constants.js'
import { AdmissionCheck, RateBound } from '../src/gossip-guard.js'
import { verifyAs } from '../src/signer.js'
import { record } from './helpers.js'

describe('RateBound', () => {
  it('lets a burst through, then one record per refill interval', () => {
    let now = 0
    const bound = new RateBound(10, 5, 100, () => now)
    const taken = Array.from({ length: 8 }, () => bound.take('p'))
    expect(taken).toEqual([true, true, true, true, true, false, false, false])
    now += 100 // one token at 10/s
    expect([bound.take('p'), bound.take('p')]).toEqual([true, false])
    now += 10_000 // refills up to the burst, not beyond
    expect(Array.from({ length: 6 }, () => bound.take('p')).filter(Boolean)).toHaveLength(5)
    // Another source has its own bucket.
    expect(bound.take('q')).toBe(true)
  })

  it('holds at most maxPeers buckets, forgetting the least recently used', () => {
    const now = 0
    const bound = new RateBound(1, 1, 3, () => now)
    for (const p of ['a', 'b', 'c']) expect(bound.take(p)).toBe(true)
    expect(bound.take('a')).toBe(false) // a is now the most recently used
    expect(bound.take('d')).toBe(true) // forgets b
    expect(bound.size).toBe(3)
    expect(bound.take('c')).toBe(false) // c kept its empty bucket
    expect(bound.take('b')).toBe(true) // b starts over (forgets a)
    expect(bound.size).toBe(3)
  })
})

describe('AdmissionCheck', () => {
  async function setup (maxEntries = 16): Promise<{ check: AdmissionCheck, calls: PeerId[], member: (rec?: Partial<MemberRecord>) => Promise<SignedRecord>, admission: SignedAdmission, clusterId: PeerId }> {
    const authority = await clusterAuthority(randomBytes(CLUSTER_SECRET_BYTES))
    const key = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(key).toString()
    const base = record(id)
    const admission = await authority.admit({ peer: id, maxWeight: base.weight, zone: base.zone, issuedAt: base.joinedAt })
    const calls: PeerId[] = []
    const check = new AdmissionCheck(authority.clusterId, async (peer, data, signature) => {
      calls.push(peer)
      return await verifyAs(peer, data, signature)
    }, maxEntries)
    const member = async (change: Partial<MemberRecord> = {}): Promise<SignedRecord> => {
      const rec = { ...base, ...change }
      return { record: rec, signature: await key.sign(encodeRecord(rec)), admission }
    }
    return { check, calls, member, admission, clusterId: authority.clusterId }
  }

  it('checks the record signature every time and a certificate once', async () => {
    const { check, calls, member, clusterId } = await setup()
    for (let hb = 1; hb <= 5; hb++) expect(await check.problem(await member({ heartbeat: hb }))).toBeUndefined()
    expect(calls.filter((p) => p === clusterId)).toHaveLength(1)
    expect(calls.filter((p) => p !== clusterId)).toHaveLength(5)
    // Still checked against the record: the cached certificate admits weight 1 only.
    expect(await check.problem(await member({ weight: 1000 }))).toBe('does-not-fit')
  })

  it('remembers a bad certificate as bad, and tells a changed one apart', async () => {
    const { check, calls, member, admission, clusterId } = await setup()
    const signed = await member()
    const forged = { ...signed, admission: { ...admission, signature: Uint8Array.from(admission.signature, (b, i) => i === 0 ? b ^ 1 : b) } }
    expect(await check.problem(forged)).toBe('not-by-authority')
    expect(await check.problem(forged)).toBe('not-by-authority')
    expect(calls.filter((p) => p === clusterId)).toHaveLength(1)
    // Same signature, other fields: a new entry, checked (and refused).
    const stretched = { ...signed, admission: { ...admission, admission: { ...admission.admission, maxWeight: 1000 } } }
    expect(await check.problem(stretched)).toBe('not-by-authority')
    expect(await check.problem(signed)).toBeUndefined()
    expect(calls.filter((p) => p === clusterId)).toHaveLength(3)
    expect(await check.problem({ record: signed.record, signature: signed.signature })).toBe('no-admission')
    expect(await check.problem({ ...signed, signature: new Uint8Array(64) })).toBe('bad-signature')
  })

  it('keeps at most maxEntries verdicts', async () => {
    const { check, member, admission } = await setup(2)
    const signed = await member()
    for (let i = 0; i < 5; i++) {
      const signature = Uint8Array.from(admission.signature)
      signature[i] = (signature[i] ?? 0) ^ 1
      expect(await check.problem({ ...signed, admission: { ...admission, signature } })).toBe('not-by-authority')
    }
    expect(check.size).toBe(2)
  })
})
