// What retention and `chat-admin purge` delete stays deleted on a running node: a join's history,
// `//history` and a resuming join are served partly from the node's memory of recent messages (the
// ring of lib/room-history.ts), and that memory must forget them too, not bring them back.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';
import { TestClient, type Frame } from '../helpers/client.js';
import type { DmFrame, MessageFrame } from '../../lib/protocol/frames.js';
import { DAY_MS } from '../../lib/retention.js';
import { ADMIN_ACTOR } from '../../lib/auth/policy.js';
import { holdCalls, until } from '../helpers/wait.js';

/** The texts of the history frame a fresh login is sent for the lobby. */
async function lobbyOnLogin(c: TestClient): Promise<string[]> {
  const h = await c.waitFor((f) => f.type === 'history' && f.room === 'lobby' && !f.search, 5000, 'lobby history');
  return h.messages.map((m: Frame) => m.text);
}

async function historyTexts(c: TestClient): Promise<string[]> {
  const answer = await c.command('//history 50');
  expect(answer.type, JSON.stringify(answer)).to.equal('result');
  const h = await c.waitFor((f) => f.type === 'history' && f.room === 'lobby' && !f.search, 5000, 'history');
  return h.messages.map((m: Frame) => m.text);
}

for (const kind of ['sqlite', 'mysql'] as const) {
  describe(`e2e: deleted messages stay deleted on ${kind}`, function () {
    this.timeout(30000);
    const t = withChatd({ kind, each: true, config: { limits: { databasePollMs: 200 } } });

    it('a purged user\'s last messages are not served from memory to a join, //history or a resume', async () => {
      const alice = await t.login('alice');
      expect(await lobbyOnLogin(alice)).to.deep.equal([]);
      const first = await alice.say('alice was here first');
      const dave = await t.login('dave');
      await dave.say('dave harasses one');
      await dave.say('dave harasses two');
      expect(await t.chatd.node.history.drain(5000)).to.equal(true);
      const dv = (await t.world.store.getUser('dave'))!;
      await t.world.store.purgeUser(dv, ADMIN_ACTOR); // what `chat-admin purge --user dave --yes` does
      // Ended by the purge (KICKED) or, as purge revokes the account's certificates too, by the
      // revocation poll of the same round (CERT_REVOKED): whichever query answers first.
      expect(['KICKED', 'CERT_REVOKED']).to.include((await dave.waitFor((f) => f.type === 'bye', 5000, 'bye')).code);

      const carol = await t.login('carol');
      expect(await lobbyOnLogin(carol)).to.deep.equal(['alice was here first']);
      expect(await historyTexts(alice)).to.deep.equal(['alice was here first']);
      const bob = await t.connect('bob');
      await bob.login('bob');
      bob.send({ type: 'join', id: 'j1', room: 'lobby', since: first.id });
      expect(await bob.waitFor((f) => f.type === 'result' && f.id === 'j1', 5000, 'join answer')).to.include({ type: 'result' });
      const resumed = await bob.waitFor((f) => f.type === 'history' && f.room === 'lobby' && !f.search, 5000, 'resumed history');
      expect(resumed.messages.map((m: Frame) => m.text)).to.not.include.members(['dave harasses one']);
      expect(resumed.messages.map((m: Frame) => m.text)).to.not.include.members(['dave harasses two']);
    });

    it('what a purged user says before the nodes end their session is erased too, once written', async () => {
      const bob = await t.login('bob');
      const dave = await t.login('dave');
      // The node's next poll round waits here: dave is purged, and still talking, until it goes on.
      const revocations = holdCalls(t.chatd.node.store, 'listRevoked');
      const audit = holdCalls(t.chatd.node.store, 'auditAfter');
      const dv = (await t.world.store.getUser('dave'))!;
      await t.world.store.purgeUser(dv, ADMIN_ACTOR);
      await dave.say('said after the purge');
      await bob.waitFor((f) => f.type === 'message' && f.text === 'said after the purge', 5000, 'the late line');
      await t.chatd.node.settleHistory(); // written under dave's id, as the history writer does
      expect(await t.world.store.knex('messages').where('sender_id', dv.id).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
      revocations.release();
      audit.release();
      expect(['KICKED', 'CERT_REVOKED']).to.include((await dave.waitFor((f) => f.type === 'bye', 5000, 'bye')).code);
      await until(async () => Number((await t.world.store.knex('messages').where('sender_id', dv.id).count({ n: '*' }).first())?.n) === 0, 5000, 'the late line deleted');
      expect(await historyTexts(bob)).to.not.include('said after the purge');
    });

    it('a purged user\'s away message is forgotten, so the next account given the name does not show it', async () => {
      const dave = await t.login('dave');
      expect((await dave.command('//away at the clinic, call 555-0100')).type).to.equal('result');
      const alice = await t.login('alice');
      expect((await alice.command('//whois dave')).text).to.include('555-0100');
      const dv = (await t.world.store.getUser('dave'))!;
      await t.world.store.purgeUser(dv, ADMIN_ACTOR);
      expect(['KICKED', 'CERT_REVOKED']).to.include((await dave.waitFor((f) => f.type === 'bye', 5000, 'bye')).code);
      // Kept by name in memory, the text outlived the account, and a new "dave" was shown away with it.
      await until(async () => t.chatd.node.awayOf('dave') === undefined, 5000, 'the away text forgotten');
      await t.world.store.createUser({ username: 'dave', passwordHash: dv.passwordHash, role: 'user' });
      expect((await alice.command('//whois dave')).text).to.not.include('555-0100');
    });

    it('a DM to a purged name in the second before the nodes learn is not kept for the next account of that name', async () => {
      const alice = await t.login('alice');
      const dv = (await t.world.store.getUser('dave'))!;
      await t.world.store.purgeUser(dv, ADMIN_ACTOR);
      // What a node does with a live DM (Mailboxes.keep) while presence still shows dave online.
      const dm = (id: string, to: string): DmFrame => ({ type: 'dm', id, ts: new Date().toISOString(), from: { name: 'alice', role: 'user', color: 'cyan' }, to, text: `for ${to}` });
      await t.world.store.addDm(dm('to-old-dave', 'dave'), true);
      await t.world.store.addDm(dm('to-bob', 'bob'), true);
      // Nor into the mailbox, when the purge landed after the sender's node looked the name up.
      expect(await t.world.store.postToMailbox(dm('to-old-dave-later', 'dave'), 500)).to.equal('gone');
      expect((await t.world.store.knex('dms').select('id')).map((r: { id: string }) => r.id)).to.deep.equal(['to-bob']);
      await t.world.store.createUser({ username: 'dave', passwordHash: dv.passwordHash, role: 'user' });
      expect(await t.world.store.dmHistory('dave', 'alice', 50)).to.deep.equal([]);
      // Nor does the erased account take DMs nobody can ever read.
      expect(await alice.command(`//msg deleted-${dv.id} hello`)).to.include({ type: 'error', code: 'NO_SUCH_USER' });
    });

    it('messages retention deletes are not served from memory either', async () => {
      await t.stop();
      const chatd = await t.start({ limits: { retentionDays: 7 } });
      const node = chatd.node;
      await node.retention.settled();
      const now = Date.now();
      // Messages another node delivered 8 and 9 days ago (this one has been up since): remembered here, stored there.
      const old = (id: string, ago: number, text: string): MessageFrame => ({
        type: 'message', id, ts: new Date(now - ago).toISOString(), room: 'lobby', from: { name: 'alice', role: 'user', color: 'cyan' }, text, kind: 'say',
      });
      const frames = [old('r-old1', 9 * DAY_MS, 'nine days old'), old('r-old2', 8 * DAY_MS, 'eight days old')];
      for (const frame of frames) node.bus.publish({ t: 'room', room: 'lobby', frame });
      const alice = (await t.world.store.getUser('alice'))!;
      await t.world.store.insertMessages(frames.map((frame) => ({ senderId: alice.id, frame })));
      expect(await node.retention.trigger()).to.equal(2);
      expect(await t.world.store.knex('messages').where('room', 'lobby').count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(0);

      const carol = await TestClient.loggedIn(chatd.address.port, t.world.certs, 'carol');
      try {
        expect(await lobbyOnLogin(carol)).to.deep.equal([]);
        expect(await historyTexts(carol)).to.deep.equal([]);
      } finally {
        carol.close();
      }
    });
  });
}
