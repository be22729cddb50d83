// A TLS session made without a client certificate must not let a client past a listener that requires
// one. The chat and the IRC listener share their session-ticket keys and session-id context
// (lib/tls-tickets.ts), and the chat port completes handshakes without a certificate (enrollment; a
// text or JSON connection without one is closed by chatd only afterwards), so its tickets hold a
// session with no certificate. Resumed on the IRC port, where OpenSSL enforces `required` itself,
// such a session has no certificate and Node calls it authorized (a resumed TLS 1.3 session without
// one verifies as X509_V_OK): IRC would take a password login with no certificate at all.
import { expect } from 'chai';
import fs from 'node:fs';
import tls from 'node:tls';
import { withChatd } from '../helpers/chatd.js';
import { deadline } from '../helpers/wait.js';
import { USERS } from '../helpers/world.js';

/** A ticket from a handshake on `port` without a client certificate. */
function anonymousTicket(port: number, ca: Buffer, alpn: string): Promise<Buffer> {
  return deadline<Buffer>(5000, () => 'no session ticket', (done, fail) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ALPNProtocols: [alpn] });
    s.on('session', (b: Buffer) => { done(b); s.destroy(); });
    s.on('error', () => {});
    s.on('close', () => fail(new Error('closed before a ticket')));
  });
}

/** Offers `session` to the IRC port without a certificate, tries a password login; what the server says. */
function ircWith(port: number, ca: Buffer, session: Buffer): Promise<{ resumed: boolean; out: string }> {
  return new Promise((resolve) => {
    let resumed = false;
    let out = '';
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, session });
    s.on('secureConnect', () => {
      resumed = s.isSessionReused();
      s.write(`PASS :${USERS.alice!.password}\r\nNICK alice\r\nUSER alice 0 * :alice\r\n`);
    });
    s.on('data', (d) => { out += d; if (/ 001 /.test(out)) s.end(); });
    s.on('error', () => {});
    s.on('close', () => resolve({ resumed, out }));
    setTimeout(() => s.destroy(), 4000);
  });
}

describe('e2e: a ticket of a connection without a client certificate (client-cert required)', function () {
  this.timeout(30000);
  const t = withChatd({ config: { ircPort: 0 } });

  it('one from the chat port\'s enrollment (ALPN chatd-enroll/1) resumes on the IRC port but logs nobody in there', async () => {
    const ca = fs.readFileSync(`${t.world.certs}/ca.crt`);
    const ticket = await anonymousTicket(t.port, ca, 'chatd-enroll/1');
    const r = await ircWith(t.chatd.ircAddress!.port, ca, ticket);
    expect(r.resumed, 'the ticket resumed (else this shows nothing)').to.equal(true);
    expect(r.out).to.not.match(/ 001 /);
    expect(r.out).to.equal('');
  });
});
