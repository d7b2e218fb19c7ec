import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { admissionProblem, decodeSignedAdmission, encodeAdmission, encodeSignedAdmission } from '@ringstore/core'
import { CLUSTER_SECRET_BYTES, ClusterSecretError, Libp2pSigner, clusterAuthority } from '../src/index.js'

const fields = { peer: '12D3KooWPeerPeerPeer', maxWeight: 1, zone: 'default', issuedAt: 1_765_000_000_000 }

describe('cluster authority', () => {
  it('is derived from the secret: the same secret names the same cluster, another secret another', async () => {
    const secret = randomBytes(CLUSTER_SECRET_BYTES)
    const a = await clusterAuthority(secret)
    const b = await clusterAuthority(Uint8Array.from(secret))
    const other = await clusterAuthority(randomBytes(CLUSTER_SECRET_BYTES))
    expect(a.clusterId).toBe(b.clusterId)
    expect(a.clusterId).not.toBe(other.clusterId)
    expect(a.clusterId).toMatch(/^12D3KooW/) // an Ed25519 key written as a peer id
  })

  it('signs admissions that verify against the cluster id alone, and only for that cluster', async () => {
    const authority = await clusterAuthority(randomBytes(CLUSTER_SECRET_BYTES))
    const impostor = await clusterAuthority(randomBytes(CLUSTER_SECRET_BYTES))
    const verifier = new Libp2pSigner(await generateKeyPair('Ed25519')) // any peer: verifying needs no secret
    const signed = decodeSignedAdmission(encodeSignedAdmission(await authority.admit(fields)))
    expect(signed.admission.cluster).toBe(authority.clusterId)
    expect(await verifier.verify(authority.clusterId, encodeAdmission(signed.admission), signed.signature)).toBe(true)
    // Another secret's certificate does not verify for this cluster, even claiming it.
    const forged = await impostor.admit(fields)
    expect(await verifier.verify(authority.clusterId, encodeAdmission({ ...forged.admission, cluster: authority.clusterId }), forged.signature)).toBe(false)
    // Raising the weight or changing the peer breaks the signature.
    expect(await verifier.verify(authority.clusterId, encodeAdmission({ ...signed.admission, maxWeight: 1000 }), signed.signature)).toBe(false)
    expect(await verifier.verify(authority.clusterId, encodeAdmission({ ...signed.admission, peer: 'someone-else' }), signed.signature)).toBe(false)
    expect(admissionProblem(signed.admission, impostor.clusterId, { id: fields.peer, weight: 1, zone: 'default', joinedAt: fields.issuedAt })).toMatch(/cluster/)
  })

  it('refuses a secret of the wrong size', async () => {
    await expect(clusterAuthority(new Uint8Array(16))).rejects.toThrow(ClusterSecretError)
  })
})
