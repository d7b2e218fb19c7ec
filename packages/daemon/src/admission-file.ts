/**
 * This daemon's admission to its cluster, kept in the data dir (`admission`, owner-only)
 * so that it joins with the same certificate, and so the same join time, after every
 * restart. A daemon holds the cluster secret, so it admits itself: at first start, and
 * again when the stored certificate no longer fits (another cluster, a higher weight,
 * another zone), which makes it join anew at the new issue time.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { admissionProblem, decodeSignedAdmission, encodeSignedAdmission } from '@ringstore/core'
import type { PeerId, SignedAdmission } from '@ringstore/core'
import type { ClusterAuthority } from '@ringstore/net-libp2p'
import type { Logger } from '@ringstore/peer'

/** The certificate's file in the data dir. */
export const ADMISSION_FILE = 'admission'

export async function loadOrIssueAdmission (
  dataDir: string, authority: ClusterAuthority, peer: PeerId, weight: number, zone: string, log: Logger
): Promise<SignedAdmission> {
  const file = join(dataDir, ADMISSION_FILE)
  const stored = await readStored(file, log)
  if (stored !== undefined) {
    const problem = admissionProblem(stored.admission, authority.clusterId, { id: peer, weight, zone, joinedAt: stored.admission.issuedAt })
    if (problem === undefined) return stored
    log.warn('stored admission does not fit this start: admitting this peer anew (it joins again)', { problem })
  }
  const signed = await authority.admit({ peer, maxWeight: weight, zone, issuedAt: Date.now() })
  await writeFile(file, encodeSignedAdmission(signed), { mode: 0o600 })
  log.info('admitted this peer to the cluster', { cluster: authority.clusterId, weight, zone })
  return signed
}

async function readStored (file: string, log: Logger): Promise<SignedAdmission | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch {
    return undefined
  }
  try {
    return decodeSignedAdmission(new Uint8Array(bytes))
  } catch (error) {
    log.warn('stored admission unreadable: admitting this peer anew', { error: error instanceof Error ? error.message : String(error) })
    return undefined
  }
}
