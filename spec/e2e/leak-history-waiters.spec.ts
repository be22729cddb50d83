// While history writes fail (a database outage), every //search and every resuming join waits for the
// queue to drain, at most limits.dbTimeoutMs. A wait that timed out left its callback in the writer's
// list until the queue emptied, which in an outage is never: each search added one for good, so a user
// repeating //search through an outage of hours grew the node's memory without bound.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { refuseMessages } from '../helpers/db-faults.js';

describe('e2e: waits for the history queue do not pile up during an outage', function () {
  this.timeout(60000);
  const t = withChatd({ each: true, config: { limits: { dbTimeoutMs: 20, floodBurst: 10_000, floodRate: 10_000, floodKickCount: 10_000 } } });

  it('after 200 searches through failing history writes, the writer holds no finished waits', async () => {
    const alice = await t.login('alice');
    const allow = await refuseMessages(t.world.store);
    t.defer(allow);
    expect((await alice.say('kept in the queue')).type).to.equal('message');
    const history = t.chatd.node.history as unknown as { idleWaiters: unknown[]; down: boolean };
    for (let i = 0; i < 200; i++) {
      const a = await alice.command(`//search queue${i}`);
      expect(a.type, JSON.stringify(a)).to.be.oneOf(['result', 'error']);
    }
    expect(history.down, 'the writes failed').to.equal(true);
    expect(t.chatd.node.history.pending).to.equal(1);
    expect(history.idleWaiters.length).to.be.at.most(1);
    // Once the database takes the writes again, the queue drains and a search finds the message.
    await allow();
    expect(await t.chatd.node.history.drain(10_000)).to.equal(true);
    const found = await alice.command('//search kept');
    expect(found.type, JSON.stringify(found)).to.equal('result');
  });
});
