/**
 * The operator's commands around the cluster authority: `ringstore secret FILE` creates a
 * cluster secret, `ringstore admit` issues an admission certificate for one peer, and
 * `ringstore peer-id` tells the id to admit before that peer's first start. Each prints
 * one JSON line on stdout. (docs/trust.md: what is enforced today and what comes next.)
 */
import { parseArgs } from 'node:util'
import { UsageError } from '@ringstore/core'
import { clusterAuthority } from '@ringstore/net-libp2p'
import { loadOrCreatePrivateKey } from '@ringstore/net-libp2p/node'
import { DEFAULT_CONFIG } from '@ringstore/peer'
import { certificateLine } from './admission-certificate.js'
import { numberOption, usage, zoneName } from './args.js'
import { DEFAULT_DATA_DIR, MAX_WEIGHT } from './constants.js'
import { createSecretFile, readSecretFile } from './cluster-secret.js'

export const SECRET_HELP = `ringstore secret FILE
  Write a new random cluster secret to FILE (mode 0600; an existing FILE is never
  overwritten) and print {"secretFile","cluster"}: the cluster id is the public key of the
  authority the secret derives. Keep FILE on operators' machines only.
`

export const ADMIT_HELP = `ringstore admit --cluster-secret FILE --peer-id ID [--weight W] [--zone Z]
  Issue an admission certificate: ID is a member of the cluster FILE defines, with weight at
  most W (${DEFAULT_CONFIG.weight}) in zone Z (${DEFAULT_CONFIG.zone}). Prints
  {"cluster","peer","maxWeight","zone","issuedAt","certificate"} (certificate: base64url).
  Save that line to a file for the peer: ringstore start --admission FILE (a daemon), or
  pass its certificate field to the demo page as ?admission=... (a full-weight tab).
`

export const PEER_ID_HELP = `ringstore peer-id [--data-dir DIR]
  Print {"peerId"}: the id of the daemon whose data directory is DIR (${DEFAULT_DATA_DIR}),
  creating its identity key if there is none yet, so that an operator can admit a peer
  (ringstore admit --peer-id) before its first start.
`

/** `ringstore secret FILE`. */
export async function secretCommand (argv: readonly string[]): Promise<number> {
  const { positionals, values } = usage(() => parseArgs({ args: [...argv], options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }))
  if (values.help === true) {
    process.stdout.write(SECRET_HELP)
    return 0
  }
  const [path, ...extra] = positionals
  if (path === undefined || extra.length > 0) throw new UsageError('secret takes exactly one FILE')
  const file = await createSecretFile(path)
  const { clusterId } = await clusterAuthority(await readSecretFile(file))
  process.stdout.write(`${JSON.stringify({ secretFile: file, cluster: clusterId })}\n`)
  return 0
}

/** `ringstore admit …`. */
export async function admitCommand (argv: readonly string[]): Promise<number> {
  const { values } = usage(() => parseArgs({
    args: [...argv],
    options: {
      'cluster-secret': { type: 'string' },
      'peer-id': { type: 'string' },
      weight: { type: 'string' },
      zone: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  }))
  if (values.help === true) {
    process.stdout.write(ADMIT_HELP)
    return 0
  }
  const secretFile = values['cluster-secret']
  if (secretFile === undefined) throw new UsageError('admit needs --cluster-secret FILE')
  const peer = values['peer-id']
  if (peer === undefined || !/^[1-9A-HJ-NP-Za-km-z]{1,128}$/.test(peer)) {
    throw new UsageError(`--peer-id must be a peer id (base58, as a daemon's ready line prints it), got '${peer ?? ''}'`)
  }
  // The same checks as `ringstore start --weight/--zone`: a certificate must fit a daemon's options.
  const maxWeight = numberOption('weight', values.weight, DEFAULT_CONFIG.weight, 0, MAX_WEIGHT)
  const zone = zoneName(values.zone ?? DEFAULT_CONFIG.zone)
  const authority = await clusterAuthority(await readSecretFile(secretFile))
  const signed = await authority.admit({ peer, maxWeight, zone, issuedAt: Date.now() })
  process.stdout.write(`${certificateLine(signed)}\n`)
  return 0
}

/** `ringstore peer-id [--data-dir DIR]`. */
export async function peerIdCommand (argv: readonly string[]): Promise<number> {
  const { values } = usage(() => parseArgs({
    args: [...argv],
    options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true
  }))
  if (values.help === true) {
    process.stdout.write(PEER_ID_HELP)
    return 0
  }
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR
  if (dataDir === '') throw new UsageError('--data-dir must not be empty')
  // The same key file `ringstore start` loads (the folder too is created if missing): the
  // daemon started on DIR later runs with exactly this id.
  const key = await loadOrCreatePrivateKey(dataDir)
  process.stdout.write(`${JSON.stringify({ peerId: key.publicKey.toString() })}\n`)
  return 0
}
