/**
 * `ringstore remove PEER_ID --cluster-secret FILE`: remove a dead member for good (Dynamo
 * §4.8.1's explicit removal; Riak's `cluster force-remove`). The removal is signed here,
 * with the cluster's authority derived from the secret, and handed to a running member
 * (POST /admin/remove), which checks it, keeps it durably and gossips it: every member
 * then treats the removed one as left (its partitions move to the others, anti-entropy
 * restores their copies from the survivors, its hints go to the new owners) and refuses
 * it from then on. The daemon that spreads it never needs the secret.
 */
import { parseArgs } from 'node:util'
import { encodeSignedRemoval, UsageError } from '@ringstore/core'
import { clusterAuthority } from '@ringstore/net-libp2p'
import { usage } from './args.js'
import { readSecretFile } from './cluster-secret.js'
import { DEFAULT_DATA_DIR } from './constants.js'
import { connect, expectStatus, OperatorError, requestJson } from './daemon-client.js'
import { daemonTarget } from './operator-args.js'

export const REMOVE_HELP = `ringstore remove PEER_ID --cluster-secret FILE [--data-dir DIR | --http HOST:PORT --http-token-file FILE]
  Remove the dead member PEER_ID from the cluster for good. The removal is signed with the
  cluster's authority (derived from FILE, the cluster's secret) and given to the running
  daemon of DIR (${DEFAULT_DATA_DIR}; found through DIR/daemon.json), or the one serving HTTP at
  HOST:PORT, which spreads it to every member: they drop PEER_ID from the ring (its
  partitions move to the others, which restore their copies from each other), send the
  hints they kept for it to the new owners, and refuse it from then on. For a member that
  is still alive, use ringstore leave on it instead: it hands its data off first.
  Prints one JSON line {"removed","removedAt","by","fresh"} (fresh: the daemon had not
  heard of this removal before). Exit 1 when the daemon refuses it or is unreachable.
  --http-token-file FILE  the daemon's HTTP bearer token (required with --http; with --data-dir
                          by default the file DIR/daemon.json names, else DIR/http-token).
`

export async function removeCommand (argv: readonly string[]): Promise<number> {
  const { values, positionals } = usage(() => parseArgs({
    args: [...argv],
    options: {
      'cluster-secret': { type: 'string' },
      'data-dir': { type: 'string' },
      http: { type: 'string' },
      'http-token-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true,
    allowPositionals: true
  }))
  if (values.help === true) {
    process.stdout.write(REMOVE_HELP)
    return 0
  }
  const [peer, ...extra] = positionals
  if (peer === undefined || extra.length > 0 || !/^[1-9A-HJ-NP-Za-km-z]{1,128}$/.test(peer)) {
    throw new UsageError(`remove takes exactly one PEER_ID (base58, as ringstore status prints it), got '${positionals.join(' ')}'`)
  }
  const secretFile = values['cluster-secret']
  if (secretFile === undefined) throw new UsageError('remove needs --cluster-secret FILE (the cluster\'s secret: only its authority removes members)')
  const authority = await clusterAuthority(await readSecretFile(secretFile))
  const daemon = await connect(daemonTarget(values['data-dir'], values.http, values['http-token-file']))
  const status = expectStatus(await requestJson(daemon, 'GET', '/status'), 200, 'GET /status')
  if (status.clusterId !== authority.clusterId) {
    throw new OperatorError(`the daemon at ${daemon.base} is in cluster ${String(status.clusterId)}, but ${secretFile} is the secret of cluster ${authority.clusterId}: nothing done`)
  }
  const members = Array.isArray(status.members) ? status.members as Array<{ peerId?: unknown }> : []
  if (!members.some((m) => m.peerId === peer)) {
    process.stderr.write(`ringstore remove: ${peer} is not among the members ${daemon.base} knows; removing it anyway (it will be refused if it ever turns up)\n`)
  }
  const signed = await authority.remove({ peer, removedAt: Date.now() })
  const removal = Buffer.from(encodeSignedRemoval(signed)).toString('base64url')
  const reply = expectStatus(await requestJson(daemon, 'POST', '/admin/remove', { removal }), 200, 'POST /admin/remove')
  process.stdout.write(`${JSON.stringify({ removed: peer, removedAt: signed.removal.removedAt, by: status.peerId, fresh: reply.fresh })}\n`)
  return 0
}
