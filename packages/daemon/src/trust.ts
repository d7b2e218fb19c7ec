/**
 * Which cluster a daemon belongs to, and its certificate for it (docs/trust.md). Closed by
 * default: every daemon runs an admitted cluster, in one of three ways:
 *
 * - `--cluster-secret FILE`: derive the authority from the secret and admit itself;
 * - neither flag: the same with `DATA_DIR/cluster-secret`, created at first start, so a
 *   daemon nobody gave a secret forms a cluster of its own, which others join only with
 *   that file (never by merely bootstrapping from it);
 * - `--admission FILE`: a certificate from `ringstore admit`, for a peer trusted to be a
 *   member but not to admit others. Its weight and zone default to the certificate's.
 */
import { UsageError, admissionProblem } from '@ringstore/core'
import type { PeerId, SignedAdmission } from '@ringstore/core'
import type { PrivateKey } from '@libp2p/interface'
import { Libp2pSigner, clusterAuthority } from '@ringstore/net-libp2p'
import type { Logger } from '@ringstore/peer'
import type { DaemonOptions } from './args.js'
import { readCertificateFile } from './admission-certificate.js'
import { loadOrIssueAdmission } from './admission-file.js'
import { contextKeyFromSecret, loadOrCreateContextKey } from './context-key.js'
import { defaultSecretFile, loadOrCreateSecretFile, readSecretFile } from './cluster-secret.js'

export interface Trust {
  readonly clusterId: string
  readonly admission: SignedAdmission
  /** The weight and zone this daemon runs with (with --admission: the certificate's unless given). */
  readonly weight: number
  readonly zone: string
  /** Seals the HTTP API's contexts (context-key.ts). */
  readonly contextKey: Uint8Array
  /** The secret the authority comes from; absent with --admission. */
  readonly secret?: {
    /** Absolute path. */
    readonly file: string
    /** True when it is `DATA_DIR/cluster-secret` (no --cluster-secret given). */
    readonly isDefault: boolean
    /** True when this start created it. */
    readonly created: boolean
  }
}

export async function resolveTrust (options: DaemonOptions, privateKey: PrivateKey, log: Logger): Promise<Trust> {
  const peer: PeerId = privateKey.publicKey.toString()
  if (options.admission !== undefined) return await fromCertificate(options.admission, peer, privateKey, options.dataDir)

  const isDefault = options.clusterSecret === undefined
  const { file, secret, created } = options.clusterSecret === undefined
    ? await loadOrCreateSecretFile(defaultSecretFile(options.dataDir))
    : { file: options.clusterSecret, secret: await readSecretFile(options.clusterSecret), created: false }
  const authority = await clusterAuthority(secret)
  const admission = await loadOrIssueAdmission(options.dataDir, authority, peer, options.weight, options.zone, log)
  return { clusterId: authority.clusterId, admission, weight: options.weight, zone: options.zone, contextKey: contextKeyFromSecret(secret), secret: { file, isDefault, created } }
}

async function fromCertificate (option: NonNullable<DaemonOptions['admission']>, peer: PeerId, privateKey: PrivateKey, dataDir: string): Promise<Trust> {
  // The signer only verifies here: against the cluster id the certificate names.
  const signed = await readCertificateFile(option.file, new Libp2pSigner(privateKey))
  const { admission } = signed
  if (admission.peer !== peer) {
    throw new UsageError(`--admission ${option.file} admits peer ${admission.peer}, not this daemon (${peer}); admit the id 'ringstore peer-id --data-dir DIR' prints`)
  }
  const weight = option.weight ?? admission.maxWeight
  const zone = option.zone ?? admission.zone
  const problem = admissionProblem(admission, admission.cluster, { id: peer, weight, zone, joinedAt: admission.issuedAt })
  if (problem !== undefined) throw new UsageError(`--admission ${option.file} does not fit --weight ${weight} --zone ${zone}: ${problem}`)
  return { clusterId: admission.cluster, admission: signed, weight, zone, contextKey: await loadOrCreateContextKey(dataDir) }
}
