/**
 * A client peer in the bench process, assembled as a browser tab assembles itself
 * (@ringstore/browser's browser-peer.ts) but on Node: weight 0, no admission, the
 * cluster's id so it trusts admitted members only, the daemons as seeds. It is a client to
 * the members (per-key rights, the client surface) and never enters their member table.
 */
import { join } from 'node:path'
import { Libp2pNetwork, Libp2pSigner, createNodeLibp2p, loadOrCreatePrivateKey } from '@ringstore/net-libp2p/node'
import { Peer, SystemClock } from '@ringstore/peer'
import { FsStorage } from '@ringstore/storage-fs'

export interface ClientPeer {
  readonly peer: Peer
  stop(): Promise<void>
}

export async function startClientPeer (dir: string, clusterId: string, seeds: readonly string[]): Promise<ClientPeer> {
  const privateKey = await loadOrCreatePrivateKey(dir)
  const node = await createNodeLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'], privateKey })
  const storage = await FsStorage.open(join(dir, 'store'))
  const network = new Libp2pNetwork(node, { cluster: 'ringstore', clusterId })
  const clock = new SystemClock()
  const peer = new Peer({
    network,
    storage,
    clock,
    signer: new Libp2pSigner(privateKey),
    config: { clusterId, weight: 0, seeds: [...seeds], n: 3, r: 2, w: 2 }
  })
  await peer.start()
  return {
    peer,
    stop: async () => {
      await peer.stop()
      await storage.close()
    }
  }
}
