/**
 * `ringstore status`: what a running daemon sees of its cluster (GET /status), as a table
 * or, with --json, the body itself for tools.
 */
import { DEFAULT_DATA_DIR } from './constants.js'
import { connect, expectStatus, requestJson } from './daemon-client.js'
import { parseStatusArgs } from './operator-args.js'
import { renderStatus } from './status-table.js'
import type { StatusView } from './status-table.js'

export const STATUS_HELP = `ringstore status [--data-dir DIR | --http HOST:PORT --http-token-file FILE] [--json]
  What the running daemon of DIR (${DEFAULT_DATA_DIR}; found through DIR/daemon.json), or the
  one serving HTTP at HOST:PORT, sees of its cluster: every member with its status (active,
  leaving, left), whether this daemon reaches it, its admission (certificate's max weight
  and zone, as last gossiped) and its partitions; the ring's balance (partitions per owner:
  min, max, mean); hints pending and keys held here.
  --json  print GET /status's JSON body instead (one line), for tools.
  --http-token-file FILE  the daemon's HTTP bearer token (required with --http; with --data-dir
                          by default the file DIR/daemon.json names, else DIR/http-token).
`

export async function statusCommand (argv: readonly string[]): Promise<number> {
  const options = parseStatusArgs(argv)
  if (options === null) {
    process.stdout.write(STATUS_HELP)
    return 0
  }
  const daemon = await connect(options.target)
  const body = expectStatus(await requestJson(daemon, 'GET', '/status'), 200, 'GET /status')
  process.stdout.write(options.json ? `${JSON.stringify(body)}\n` : renderStatus(body as unknown as StatusView, daemon.base))
  return 0
}
