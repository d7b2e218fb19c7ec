import { describe, expect, it } from 'vitest'
import type { MemberRecord } from '@ringstore/core'
import { AddressBook, browserDialable } from '@ringstore/net-libp2p'
import { relayedWebRtcAddrs } from '../src/relay-addrs.js'

const D = '12D3KooWCQhqwUnrPduLBvtwqhcSrZiuExNwVr2chRaLcdTnAvZh'
const T = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
const silent = { debug () {}, info () {}, warn () {}, error () {} }

function member (id: string, addrs: string[], status: MemberRecord['status'] = 'active'): MemberRecord {
  return { id, addrs, status, weight: 1, zone: 'default', incarnation: 0, heartbeat: 0, joinedAt: 1 } as MemberRecord
}

describe('browser address book', () => {
  it('keeps the addresses a browser can dial: ws/wss and WebRTC through a relay', () => {
    expect(browserDialable(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${D}`)).toBe(true)
    expect(browserDialable(`/dns4/example.test/tcp/443/wss/p2p/${D}`)).toBe(true)
    expect(browserDialable(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${D}/p2p-circuit/webrtc/p2p/${T}`)).toBe(true)
    expect(browserDialable(`/ip4/127.0.0.1/tcp/4000/p2p/${D}`)).toBe(false)
    expect(browserDialable(`/ip4/127.0.0.1/tcp/4001/ws/p2p/${D}/p2p-circuit/p2p/${T}`)).toBe(false)
  })

  it('announces WebRTC through every bootstrap daemon that names its peer id', () => {
    expect(relayedWebRtcAddrs([`/ip4/127.0.0.1/tcp/4001/ws/p2p/${D}`, '/ip4/127.0.0.1/tcp/4002/ws'], T))
      .toEqual([`/ip4/127.0.0.1/tcp/4001/ws/p2p/${D}/p2p-circuit/webrtc/p2p/${T}`])
  })

  it('teaches the peer store each member\'s dialable addresses once, skipping itself and left members', async () => {
    const calls: Array<[string, readonly string[]]> = []
    const members = [
      member(T, ['/ip4/127.0.0.1/tcp/1/ws']),
      member(D, [`/ip4/127.0.0.1/tcp/4000/p2p/${D}`, `/ip4/127.0.0.1/tcp/4001/ws/p2p/${D}`]),
      member('12D3KooWLeft', ['/ip4/127.0.0.1/tcp/5/ws'], 'left')
    ]
    const book = new AddressBook(T, () => members, { addAddresses: async (peer, addrs) => { calls.push([peer, addrs]) } }, silent, browserDialable)
    expect(await book.sync()).toBe(1)
    expect(calls).toEqual([[D, [`/ip4/127.0.0.1/tcp/4001/ws/p2p/${D}`]]])
    expect(await book.sync()).toBe(0)
  })
})
