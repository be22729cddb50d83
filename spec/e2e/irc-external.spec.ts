// SASL EXTERNAL on the IRC port (DESIGN "IRC front door"): the client certificate alone logs in,
// only where --cert-binding cn proves the name and the config (ircCertLogin) allows it; everything a
// password login checks besides the password still applies.
import { expect } from 'chai';
import fs from 'node:fs';
import { fingerprintOfPem } from '../../lib/auth/certs.js';
import { withChatd } from '../helpers/chatd.js';
import { IrcClient, RawIrc } from '../helpers/irc.js';

describe('IRC front door: SASL EXTERNAL', function () {
  this.timeout(20000);
  const t = withChatd({ config: { ircPort: 0, ircCertLogin: true } });
  const open: Array<{ close(): void }> = [];
  const irc = (user: string, certOf = user) => {
    const c = IrcClient.connect(t.chatd.ircAddress!.port, t.world.certs, user, { external: true, certOf });
    open.push(c);
    return c;
  };
  afterEach(() => { for (const c of open.splice(0)) c.close(); });

  it('offers EXTERNAL and logs in with the certificate alone', async () => {
    const c = irc('alice');
    await c.line(/CAP \* LS :sasl=PLAIN,EXTERNAL /);
    await c.line(/ 900 \S+ alice!alice@chatd alice :You are now logged in as alice/);
    await c.ready();
  });

  it('a certificate without an account, a revoked certificate and a banned user are refused', async () => {
    const erin = irc('erin');
    await erin.line(/ 904 \S+ :SASL authentication failed: AUTH_FAILED/);
    await erin.line(/^ERROR :AUTH_FAILED/);

    const fp = fingerprintOfPem(fs.readFileSync(`${t.world.certs}/clients/carol.crt`));
    await t.chatd.store.revokeCert(fp, 'spec');
    const carol = irc('carol');
    await carol.line(/ 904 \S+ :SASL authentication failed: CERT_REVOKED/);

    const dave = (await t.chatd.store.getUser('dave'))!;
    await t.chatd.store.addBan({ userId: dave.id, username: 'dave', ip: null, certFingerprint: null, reason: 'spec', by: 'spec', expiresAt: null });
    const d = irc('dave');
    await d.line(/ 904 \S+ :SASL authentication failed: BANNED/);
  });

  it('an authorization identity for another name is CERT_MISMATCH', async () => {
    const r = await RawIrc.connect(t.chatd.ircAddress!.port, t.world.certs, 'bob');
    open.push(r);
    r.send('CAP LS 302', 'NICK bob', 'USER bob 0 * :bob', 'CAP REQ :sasl', 'AUTHENTICATE EXTERNAL');
    await r.line(/^AUTHENTICATE \+$/);
    r.send(`AUTHENTICATE ${Buffer.from('alice').toString('base64')}`);
    await r.line(/ 904 \S+ :SASL authentication failed: CERT_MISMATCH/);
  });

  it('is not offered unless the config allows it', async () => {
    const s = await t.start({ ircPort: 0, ircCertLogin: false });
    const r = await RawIrc.connect(s.ircAddress!.port, t.world.certs, 'bob');
    open.push(r);
    r.send('CAP LS 302');
    await r.line(/CAP \* LS :sasl=PLAIN server-time/);
    r.send('CAP REQ :sasl', 'AUTHENTICATE EXTERNAL');
    await r.line(/ 908 \* PLAIN :are available SASL mechanisms/);
    await r.line(/ 904 \* :SASL authentication failed/);
  });
});
