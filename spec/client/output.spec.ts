// What chat-cli prints besides the renderer: completion, --json lines, status text from server strings,
// and how TLS failures are named.
import { expect } from 'chai';
import { clean, formatDelay, tlsProblem } from '../../lib/client/link-errors.js';
import { jsonLine } from '../../lib/client/script.js';
import { complete } from '../../lib/client/ui.js';

describe('client/output', () => {
  describe('complete()', () => {
    const cmds = ['ban', 'banned-users', 'help', 'history', 'join', 'msg'];
    const users = ['ali', 'alice', 'bob'];
    const table: Array<[string, string, [string[], string]]> = [
      ['a command', '//he', [['//help '], '//he']],
      ['several commands', '//h', [['//help', '//history'], '//h']],
      ['a command prefix of another', '//ban', [['//ban', '//banned-users'], '//ban']],
      ['no such command', '//zz', [[], '//zz']],
      ['a user after a command', '//msg bo', [['bob '], 'bo']],
      ['a user in text, any case', 'hi ALI', [['ali', 'alice'], 'ALI']],
      ['nothing to complete', 'hello ', [[], 'hello ']],
      ['another prefix', '!jo', [['!join '], '!jo']],
    ];
    for (const [what, line, want] of table) {
      it(what, () => expect(complete(line, line.startsWith('!') ? '!' : '//', cmds, users)).to.deep.equal(want));
    }
  });

  describe('jsonLine()', () => {
    it('is the same JSON value, one line', () => {
      const f = { type: 'message', text: 'a\nb "q" é 😀', n: 1 };
      const line = jsonLine(f);
      expect(line.endsWith('\n')).to.equal(true);
      expect(line.slice(0, -1)).to.not.include('\n');
      expect(JSON.parse(line)).to.deep.equal(f);
    });

    it('writes a frame too deeply nested to stringify as one line saying so, instead of throwing', () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 20_000; i++) deep = [deep];
      const line = jsonLine({ type: 'message', x: deep });
      expect(JSON.parse(line)).to.deep.equal({ type: 'unreadable', reason: 'a frame too deeply nested to write again' });
    });

    it('escapes every character a terminal could act on, and it still parses back', () => {
      const hostile = '\x1b[31m \x9b31m \x9d0;t\x07 \x7f \u202e \u200b \u2028 \u{e0041} \x00';
      const line = jsonLine({ text: hostile });
      expect(line.slice(0, -1)).to.match(/^[\x20-\x7e]+$/);
      expect(JSON.parse(line).text).to.equal(hostile);
    });
  });

  it('clean() sanitizes and shortens server strings, and ignores non-strings', () => {
    expect(clean('\x1b]0;title\x07bad\x1b[2J news')).to.equal('bad news');
    expect(clean({ toString: () => '\x1b[31m' })).to.equal('');
    expect(clean('x'.repeat(500), 10)).to.equal(`${'x'.repeat(10)}…`);
  });

  it('formatDelay()', () => {
    expect(formatDelay(250)).to.equal('250 ms');
    expect(formatDelay(2500)).to.equal('2.5 s');
    expect(formatDelay(10_000)).to.equal('10 s');
  });

  it('tlsProblem() names verification failures and handshake alerts; network errors are not fatal', () => {
    const err = (code: string, message = code) => Object.assign(new Error(message), { code });
    expect(tlsProblem(err('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'h')?.message)
      .to.equal('TLS: server certificate not trusted (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain); check --ca and that --host h is named in the server certificate');
    expect(tlsProblem(err('ERR_TLS_CERT_ALTNAME_INVALID'), 'h')?.message).to.match(/^TLS: server certificate not trusted/);
    expect(tlsProblem(err('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'h')?.message).to.match(/^the server did not accept this certificate \[unknown ca, ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\]: is it from this server's CA/);
    expect(tlsProblem(err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'h')?.exitCode).to.equal(1);
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']) expect(tlsProblem(err(code), 'h')).to.equal(null);
  });
});
