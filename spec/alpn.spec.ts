// The chat port's ALPN choice (lib/alpn.ts, a callback instead of ALPNProtocols): the same answers
// as the protocol list gave, against a real chatd over real TLS.
import { expect } from 'chai';
import fs from 'node:fs';
import tls from 'node:tls';
import { chooseAlpn } from '../lib/alpn.js';
import { withChatd } from './helpers/chatd.js';

/** What a client offering `offer` gets: the protocol the server chose, or the handshake error. */
function handshake(port: number, certs: string, offer: string[] | undefined): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(`${certs}/ca.crt`),
      cert: fs.readFileSync(`${certs}/clients/alice.crt`), key: fs.readFileSync(`${certs}/clients/alice.key`),
      ...(offer ? { ALPNProtocols: offer } : {}),
    });
    s.once('secureConnect', () => { resolve(String(s.alpnProtocol)); s.destroy(); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('ALPN on the chat port', function () {
  it('prefers chatd/1, then chatd-enroll/1, and refuses a list with neither', () => {
    expect(chooseAlpn({ protocols: ['chatd-enroll/1', 'chatd/1'] })).to.equal('chatd/1');
    expect(chooseAlpn({ protocols: ['http/1.1', 'chatd-enroll/1'] })).to.equal('chatd-enroll/1');
    expect(chooseAlpn({ protocols: ['http/1.1'] })).to.equal(undefined);
  });

  describe('in chatd', function () {
    const srv = withChatd();

    it('answers every offer as ALPNProtocols [chatd/1, chatd-enroll/1] did', async () => {
      const got: Record<string, string> = {};
      for (const offer of [undefined, ['chatd/1'], ['chatd-enroll/1'], ['chatd-enroll/1', 'chatd/1'], ['http/1.1', 'chatd/1'], ['http/1.1']]) {
        got[JSON.stringify(offer ?? null)] = await handshake(srv.port, srv.world.certs, offer);
      }
      expect(got).to.deep.equal({
        'null': 'false', // no ALPN: text mode
        '["chatd/1"]': 'chatd/1',
        '["chatd-enroll/1"]': 'chatd-enroll/1',
        '["chatd-enroll/1","chatd/1"]': 'chatd/1',
        '["http/1.1","chatd/1"]': 'chatd/1',
        '["http/1.1"]': 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
      });
    });
  });
});
