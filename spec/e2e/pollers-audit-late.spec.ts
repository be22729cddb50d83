// MariaDB hands out an AUTO_INCREMENT id when a row is inserted, not when its transaction commits:
// an audit row can become visible after a higher id was already read. The nodes follow audit_log
// (lib/pollers.ts: //role, //kick, //topic, chat-admin's account changes) and must not skip such a
// row. Real chatd on MariaDB; the late row is a real open transaction of the spec's own.
import { expect } from 'chai';
import { ADMIN_ACTOR } from '../../lib/auth/policy.js';
import { withChatd } from '../helpers/chatd.js';
import { until } from '../helpers/wait.js';

describe('e2e: an audit row that commits after a higher one was read is still followed (MariaDB)', function () {
  this.timeout(30_000);
  const t = withChatd({ kind: 'mysql', config: { limits: { databasePollMs: 100 } } });

  it('chat-admin demotes mod in a transaction that commits late: mod is demoted all the same', async () => {
    const mod = await t.login('mod');
    const knex = t.world.store.knex;
    const store = t.chatd.node.store;
    const real = store.auditAfter.bind(store);
    let rounds = 0;
    store.auditAfter = (...args) => { rounds++; return real(...args); };

    const trx = await knex.transaction();
    try {
      await trx('users').where({ username: 'mod' }).update({ role: 'user' });
      await trx('audit_log').insert({ actor: ADMIN_ACTOR, action: 'user.role', target: 'mod', detail: 'moderator -> user', ts: Date.now() });
      // A higher id, committed at once, read by the node's polls while the lower one is still open.
      await knex('audit_log').insert({ actor: ADMIN_ACTOR, action: 'user.role', target: 'carol', detail: 'user -> user', ts: Date.now() });
      const seen = rounds;
      await until(async () => rounds >= seen + 3, 5000, 'three poll rounds past the higher id', 20);
      await trx.commit();
    } catch (e) {
      await trx.rollback();
      throw e;
    }
    const who = await until(async () => {
      const w = await mod.command('//whoami');
      return w.data?.level === 1 ? w : null;
    }, 5000, 'mod at level 1 on the node', 200);
    expect(who.data).to.include({ role: 'user' });
  });
});
