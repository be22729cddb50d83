// The exactly-once ids of say and command frames are kept in Redis (with a bus) under a digest of the
// frame's content: for `//passwd <old> <new>` that content is both passwords. A plain SHA-256 of it
// was a fast hash of the passwords, readable by anyone who can list Redis keys for 10 minutes (DESIGN:
// passwd is "never echoed, stored or logged"). Keyed with a server secret, the digest says nothing
// without the database. Runs only when CHATD_TEST_REDIS is set.
import crypto from 'node:crypto';
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { busUrl, dropPrefix, withRedis } from '../helpers/redis.js';

const REDIS = process.env.CHATD_TEST_REDIS;

(REDIS ? describe : describe.skip)('exactly-once ids in Redis and secrets in the frame', function () {
  this.timeout(30000);
  const prefix = `spec-dedupe-secret-${crypto.randomBytes(4).toString('hex')}:`;
  const srv = withChatd({ config: { bus: busUrl(REDIS!, prefix) } });
  after(() => dropPrefix(REDIS!, prefix));

  const sha = (content: string) => crypto.createHash('sha256').update(content).digest('base64url').slice(0, 22);

  it('a //passwd frame with an id leaves no plain SHA-256 of its line in Redis', async () => {
    const alice = await srv.login('alice');
    const line = 'passwd Alice-pass-1234 Alice-new-pass-5678';
    alice.send({ type: 'command', line, id: 'pw-1' });
    expect((await alice.waitFor((f) => f.id === 'pw-1')).type).to.equal('result');
    alice.send({ type: 'say', text: `//passwd Alice-new-pass-5678 Alice-pass-1234`, id: 'pw-2' });
    expect((await alice.waitFor((f) => f.id === 'pw-2')).type).to.equal('result');
    const keys = await withRedis(REDIS!, (r) => r.keys(`${prefix}dedupe:*`));
    expect(keys, 'the ids are kept in Redis').to.have.length.of.at.least(2);
    for (const digest of [sha(`command\n${line}`), sha('say\n\n//passwd Alice-new-pass-5678 Alice-pass-1234')]) {
      expect(keys.filter((k) => k.includes(digest)), 'a key holding the SHA-256 of the passwords').to.deep.equal([]);
    }
    // Still exactly once: the same frame again gets its first answer, not a second run.
    alice.send({ type: 'command', line, id: 'pw-1' });
    expect((await alice.waitFor((f) => f.id === 'pw-1')).type).to.equal('result');
  });
});
