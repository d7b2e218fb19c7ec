/**
 * Engine errors → HTTP replies (src/http/errors.ts): the storage-fault codes. A get that
 * misses R because of corrupt copies is 503 `corrupt` with the counts, not
 * `quorum_not_met` and never 404; a plain quorum failure keeps its code.
 */
import { describe, expect, it } from 'vitest'
import { CorruptRecordError } from '@ringstore/core'
import { CorruptReplicaError, QuorumNotMetError } from '@ringstore/peer'
import { toHttpError } from '../src/http/errors.js'

describe('toHttpError for storage faults', () => {
  it('a get missing R because of corrupt copies: 503 corrupt with acks, required and corrupt', () => {
    const reply = toHttpError(new CorruptReplicaError(1, 2, 1))
    expect([reply?.status, reply?.code, reply?.fields]).toEqual([503, 'corrupt', { acks: 1, required: 2, corrupt: 1 }])
    expect(reply?.message).toContain('corrupt copy')
  })

  it('a local read of a corrupt record (GET /replica): 503 corrupt', () => {
    expect([toHttpError(new CorruptRecordError('bad'))?.status, toHttpError(new CorruptRecordError('bad'))?.code]).toEqual([503, 'corrupt'])
  })

  it('a plain quorum failure stays quorum_not_met', () => {
    const reply = toHttpError(new QuorumNotMetError('get', 1, 2))
    expect([reply?.status, reply?.code, reply?.fields]).toEqual([503, 'quorum_not_met', { acks: 1, required: 2 }])
  })
})
