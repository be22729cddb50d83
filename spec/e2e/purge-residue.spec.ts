// Erasure in the file itself (SQLite): `chat-admin purge` deleted the rows, but the text stayed in the
// database file's free pages, in the full-text index's older segments and in the write-ahead log, so
// anyone with the file, or with a backup taken after the purge, could still read it. Deletes now
// overwrite (secure_delete), and a purge merges the index and checkpoints the log.
import { expect } from 'chai';
import fs from 'node:fs';
import { ADMIN_ACTOR } from '../../lib/auth/policy.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';

describe('e2e: a purge leaves no readable copy of the text in the SQLite file', function () {
  this.timeout(30000);
  const t = withChatd({ kind: 'sqlite' });

  it('the erased messages and DMs are in neither the database file nor its log', async () => {
    const alice = await t.login('alice');
    await t.login('bob');
    await alice.say('my secret is ZEBRAQUUX42');
    expect((await alice.command('//msg bob PLUGHXYZZY7 between us')).type).to.equal('result');
    await t.chatd.node.settleHistory();
    await until(async () => (await t.world.store.knex('dms').count({ n: '*' }).first().then((r) => Number(r?.n))) === 1, 5000, 'the DM stored');
    const file = t.world.db.replace(/^sqlite:/, '');
    const text = () => Buffer.concat([file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f))).toString('latin1').toLowerCase();
    expect(text()).to.include('zebraquux42'); // the check can see it before
    const al = (await t.world.store.getUser('alice'))!;
    await t.world.store.purgeUser(al, ADMIN_ACTOR);
    const after = text();
    expect(after).to.not.include('zebraquux42');
    expect(after).to.not.include('plughxyzzy7');
  });
});
