import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '@ringstore/peer'
import { IdbStorage, PeerNameInUseError, createBrowserPeer, loadOrCreateIdentity, tabName } from '../src/index.js'
import type { BrowserPeer } from '../src/index.js'
import { uniqueName } from './helpers.js'

const running: BrowserPeer[] = []
afterEach(async () => {
  for (const peer of running.splice(0)) await peer.stop()
})

async function start (name?: string): Promise<BrowserPeer> {
  const peer = await createBrowserPeer({ bootstrap: [], webrtc: false, ...(name === undefined ? {} : { name }) })
  running.push(peer)
  return peer
}

describe('browser peer identity', () => {
  it('the same name is the same peer id after a restart; another name is another peer', async () => {
    const name = uniqueName('identity')
    const first = await start(name)
    const id = first.id
    expect(id).toMatch(/^12D3KooW/)
    await first.stop()
    const again = await start(name)
    expect(again.id).toBe(id)
    const other = await start(uniqueName('identity-other'))
    expect(other.id).not.toBe(id)
  })

  it('the key lives in the peer database: a second load returns the same key', async () => {
    const storage = await IdbStorage.open(uniqueName('identity-key'))
    const a = await loadOrCreateIdentity(storage)
    const b = await loadOrCreateIdentity(storage)
    expect(a.equals(b)).toBe(true)
    expect(a.type).toBe('Ed25519')
    await storage.close()
  })

  it('a name is held by one live peer at a time', async () => {
    const name = uniqueName('identity-lock')
    const peer = await start(name)
    await expect(createBrowserPeer({ bootstrap: [], webrtc: false, name })).rejects.toThrow(PeerNameInUseError)
    await peer.stop()
    // Released on stop: the name can run again.
    const again = await start(name)
    expect(again.id).toBe(peer.id)
  })

  it('without a name the tab name from sessionStorage is used, and it survives re-creation', async () => {
    const peer = await start()
    expect(peer.name).toBe(tabName())
    const id = peer.id
    await peer.stop()
    const again = await start()
    expect(again.name).toBe(peer.name)
    expect(again.id).toBe(id)
  })

  it('a bad configuration is refused before anything runs, and the name is free again', async () => {
    const name = uniqueName('identity-config')
    await expect(createBrowserPeer({ bootstrap: [], webrtc: false, name, config: { q: 1000 } })).rejects.toThrow(ConfigError)
    const peer = await start(name)
    expect(peer.name).toBe(name)
  })
})
