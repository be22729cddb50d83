// Log lines: JSON for machines, one readable line for a person at a terminal, and nothing a peer
// sent may act on that terminal.
import { expect } from 'chai';
import { Logger, resolveLogFormat } from '../lib/log.js';

describe('Logger', () => {
  const capture = (format: 'json' | 'text') => {
    const lines: string[] = [];
    return { lines, log: new Logger('info', (l) => lines.push(l), format) };
  };

  it('writes one JSON object per line by default', () => {
    const { lines, log } = capture('json');
    log.warn('login failed', { user: 'bob', code: 'AUTH_FAILED' });
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0])).to.include({ level: 'warn', msg: 'login failed', user: 'bob', code: 'AUTH_FAILED' });
  });

  it('writes a short local-time line in text form, quoting values with spaces', () => {
    const { lines, log } = capture('text');
    log.info('login', { user: 'bob', remote: '127.0.0.1', err: 'two words', n: 3 });
    expect(lines[0]).to.match(/^\d\d:\d\d:\d\d info  login user=bob remote=127\.0\.0\.1 err="two words" n=3\n$/);
  });

  it('escapes control and format characters of field values in text form', () => {
    const { lines, log } = capture('text');
    log.warn('tls handshake refused', { subject: 'CN=\u001b]0;owned\u0007x\u009b31m\u202e' });
    expect(lines[0]).not.to.match(/[\u0000-\u001f\u007f-\u009f\u202e](?!$)/);
    expect(lines[0]).to.match(/\\u(001b|{1b})/).and.to.contain('\\u{9b}').and.to.contain('\\u{202e}');
  });

  it('puts a stack on indented lines of its own', () => {
    const { lines, log } = capture('text');
    log.error('uncaught exception', { err: 'Error: boom\n    at x (y.js:1:1)' });
    expect(lines[0]).to.match(/uncaught exception\n {2}Error: boom\n {6}at x/);
  });

  it('honours the level', () => {
    const { lines, log } = capture('text');
    log.debug('hidden');
    expect(lines).to.have.length(0);
  });

  it('picks text for a terminal and JSON otherwise, unless told', () => {
    expect(resolveLogFormat('auto', { isTTY: true })).to.equal('text');
    expect(resolveLogFormat('auto', { isTTY: false })).to.equal('json');
    expect(resolveLogFormat(undefined, {})).to.equal('json');
    expect(resolveLogFormat('json', { isTTY: true })).to.equal('json');
  });
});
