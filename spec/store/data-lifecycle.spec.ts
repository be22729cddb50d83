// Issue 15 at the store, on SQLite and (with CHATD_TEST_MYSQL) MariaDB: search through the FTS5 /
// FULLTEXT index, retention batches, export and purge.
import { expect } from 'chai';
import { openStore, type Store, type UserRecord } from '../../lib/store/index.js';
import { parseSearch } from '../../lib/search-query.js';
import { ChatdError } from '../../lib/errors.js';
import { dbKinds, freshDb } from '../helpers/world.js';
import type { MessageFrame } from '../../lib/protocol/frames.js';

const DAY = 86_400_000;

function msg(id: string, room: string, text: string, ts: number, from = 'alice'): MessageFrame {
  return { type: 'message', id, ts: new Date(ts).toISOString(), room, from: { name: from, role: 'user', color: 'cyan' }, text, kind: 'say' };
}

/** BAD_ARGS or a list of results: never anything else (a SQL error would be neither). */
async function searchOrBadArgs(store: Store, line: string, rooms: string[]): Promise<MessageFrame[] | 'BAD_ARGS'> {
  let q;
  try { q = parseSearch(line.split(/\s+/).filter(Boolean)); } catch (e) {
    if (e instanceof ChatdError && e.code === 'BAD_ARGS') return 'BAD_ARGS';
    throw e;
  }
  return store.searchMessages({ ...q, rooms });
}

for (const kind of dbKinds()) {
  describe(`data lifecycle in the store on ${kind}`, function () {
    this.timeout(30000);
    let db: { url: string; drop(): Promise<void> };
    let store: Store;
    let alice: UserRecord;
    let bob: UserRecord;
    const t0 = Date.now() - 1000;

    before(async () => {
      db = await freshDb(kind);
      store = await openStore(db.url);
    });
    after(async () => { await store?.close(); await db?.drop(); });

    it('indexes rows that existed before the search migration', async () => {
      const { MIGRATIONS } = await import('../../lib/store/migrations.js');
      const beforeSearch = MIGRATIONS.filter(([n]) => n < '007');
      await store.knex.migrate.latest({ migrationSource: { getMigrations: async () => beforeSearch, getMigrationName: ([n]: any) => n, getMigration: async ([, m]: any) => m } } as any);
      const aliceId = await store.createUser({ username: 'alice', passwordHash: 'h', role: 'user' });
      await store.createUser({ username: 'bob', passwordHash: 'h', role: 'user' });
      await store.insertMessages([{ senderId: aliceId, frame: msg('old1', 'lobby', 'an elephant remembers', t0) }]);
      expect(await store.migrateLatest()).to.deep.equal(['007_search', '008_dms', '009_server_secrets', '010_dms_ts', '011_cert_cutoffs']);
      alice = (await store.getUser('alice'))!;
      bob = (await store.getUser('bob'))!;
      const found = await store.searchMessages({ words: ['elephant'], rooms: ['lobby'], limit: 10 });
      expect(found.map((m) => m.id)).to.deep.equal(['old1']);
    });

    it('finds words in the given rooms only, newest first, from one sender, up to the limit', async () => {
      await store.insertMessages([
        { senderId: alice.id, frame: msg('s1', 'lobby', 'Deploy the release tonight', t0 + 1) },
        { senderId: bob.id, frame: msg('s2', 'lobby', 'the RELEASE notes are ready', t0 + 2, 'bob') },
        { senderId: bob.id, frame: msg('s3', 'secret', 'release plans of the secret room', t0 + 3, 'bob') },
        { senderId: alice.id, frame: msg('s4', 'lobby', 'nothing to see', t0 + 4) },
        { senderId: alice.id, frame: msg('s5', 'lobby', 'Réléase with accents', t0 + 5) },
      ]);
      const ids = async (q: Parameters<Store['searchMessages']>[0]) => (await store.searchMessages(q)).map((m) => m.id);
      expect(await ids({ words: ['release'], rooms: ['lobby'], limit: 10 })).to.deep.equal(kind === 'sqlite' ? ['s5', 's2', 's1'] : ['s5', 's2', 's1']);
      expect(await ids({ words: ['release'], rooms: ['lobby', 'secret'], limit: 10 })).to.include('s3');
      expect(await ids({ words: ['release'], rooms: ['lobby'], from: 'bob', limit: 10 })).to.deep.equal(['s2']);
      expect(await ids({ words: ['release', 'notes'], rooms: ['lobby'], limit: 10 })).to.deep.equal(['s2']);
      expect(await ids({ words: ['release'], rooms: ['lobby'], limit: 1 })).to.deep.equal(['s5']);
      // A stopword does not empty the result on MariaDB (it is left out there, matched on SQLite).
      expect(await ids({ words: ['the', 'release'], rooms: ['lobby'], limit: 10 })).to.include.members(['s2', 's1']);
      expect(await ids({ words: ['release'], rooms: [], limit: 10 })).to.deep.equal([]);
      const [m] = await store.searchMessages({ words: ['notes'], rooms: ['lobby'], limit: 1 });
      expect(m).to.deep.include({ type: 'message', id: 's2', room: 'lobby', text: 'the RELEASE notes are ready', kind: 'say' });
    });

    it('turns hostile queries into a word search or BAD_ARGS, never a database error', async () => {
      const hostile = [
        '"', '""', '"release', 'release"', '*', 'rel*', '**release**', "'", "release' or 1=1 --", 'NEAR(release notes)',
        'release OR notes', 'release AND NOT notes', '-release', '+release', '(release', 'release)', '{release}', '^release',
        'release:notes', 'text:release', 'col:"x"', '@@@', '\\', '%', '_', 'release;drop table messages', 'in:#lobby',
        'from:bob', 'n:0', 'n:51', 'n:x', 'in:##', 'from:', `${'a'.repeat(70)}`, Array.from({ length: 500 }, (_, i) => `w${i}`).join(' '),
        'x'.repeat(16000), 'release\u0000notes', 'release\u202enotes',
      ];
      for (const line of hostile) {
        const r = await searchOrBadArgs(store, line, ['lobby']);
        expect(r === 'BAD_ARGS' || Array.isArray(r), line.slice(0, 40)).to.equal(true);
      }
      expect((await searchOrBadArgs(store, '"release', ['lobby']) as MessageFrame[]).length).to.equal(3);
      expect(await searchOrBadArgs(store, '*', ['lobby'])).to.equal('BAD_ARGS');
      expect(await searchOrBadArgs(store, 'n:51 release', ['lobby'])).to.equal('BAD_ARGS');
      expect(await searchOrBadArgs(store, 'x'.repeat(16000), ['lobby'])).to.equal('BAD_ARGS');
    });

    it('prunes exactly the rows older than the cutoff, in batches', async () => {
      const now = Date.now();
      const cutoff = now - 30 * DAY;
      const rows = [];
      for (let i = 0; i < 25; i++) rows.push({ senderId: alice.id, frame: msg(`old-${i}`, 'lobby', `ancient ${i}`, cutoff - 1 - i * 1000) });
      rows.push({ senderId: alice.id, frame: msg('edge', 'lobby', 'exactly at the cutoff', cutoff) });
      rows.push({ senderId: alice.id, frame: msg('young', 'lobby', 'younger than the cutoff', cutoff + 60_000) });
      await store.insertMessages(rows);
      const before = await store.countMessages();
      const batches: number[] = [];
      for (let n; (n = await store.pruneMessages(cutoff, 10)) > 0;) batches.push(n);
      expect(batches).to.deep.equal([10, 10, 5]);
      expect(await store.countMessages()).to.equal(before - 25);
      const left = (await store.knex('messages').select('id')).map((r: any) => r.id);
      expect(left).to.include.members(['edge', 'young', 's1']);
      expect(left.filter((id: string) => id.startsWith('old-'))).to.deep.equal([]);
      // The index follows: a pruned message is no longer found.
      expect(await store.searchMessages({ words: ['ancient'], rooms: ['lobby'], limit: 50 })).to.deep.equal([]);
    });

    it('exports an account with its messages, bans, mutes and audit entries, and no password hash', async () => {
      await store.addBan({ userId: bob.id, username: 'bob', ip: null, certFingerprint: null, reason: 'spam', by: 'mod', expiresAt: null });
      await store.setMute({ userId: bob.id, username: 'bob', until: null, by: 'mod' });
      await store.audit({ actor: 'mod', action: 'ban', target: 'bob', detail: 'perm spam' });
      await store.audit({ actor: 'bob', action: 'topic', target: '#lobby', detail: 'hello' });
      const ex = await store.exportUser((await store.getUser('bob'))!);
      expect(JSON.stringify(ex)).not.to.match(/password|"h"/);
      expect(ex.account).to.deep.include({ id: bob.id, username: 'bob', role: 'user', disabled: false });
      expect(ex.messages.map((m) => m.id).sort()).to.deep.equal(['s2', 's3']);
      expect(ex.messages[0]).to.have.keys(['id', 'ts', 'room', 'kind', 'text']);
      expect(ex.dms).to.deep.equal({ stored: true, sent: [], received: [] });
      expect(ex.bans).to.have.length(1);
      expect(ex.bans[0]).to.include({ reason: 'spam', by: 'mod', liftedAt: null });
      expect(ex.mutes).to.have.length(1);
      expect(ex.audit.map((a) => `${a.actor} ${a.action} ${a.target}`)).to.deep.equal(['mod ban bob', 'bob topic #lobby']);
    });

    it('purges in one transaction: no message of the user left, the name anonymized everywhere', async () => {
      const u = (await store.getUser('bob'))!;
      const r = await store.purgeUser(u, 'chat-admin');
      expect(r).to.deep.equal({ anonymous: `deleted-${u.id}`, messages: 2, dms: 0 });
      expect(await store.knex('messages').where('sender_id', u.id).orWhere('sender_name', 'bob')).to.deep.equal([]);
      expect(await store.searchMessages({ words: ['release'], rooms: ['lobby', 'secret'], limit: 50 }).then((m) => m.map((x) => x.id))).to.not.include.members(['s2', 's3']);
      expect(await store.getUser('bob')).to.equal(null);
      const anon = (await store.getUser(`deleted-${u.id}`))!;
      expect(anon).to.include({ id: u.id, disabled: true });
      expect(anon.passwordHash).to.not.equal('h');
      const audit = await store.knex('audit_log').orderBy('id');
      expect(audit.filter((a: any) => a.actor === 'bob' || a.target === 'bob')).to.deep.equal([]);
      expect(audit.map((a: any) => `${a.actor} ${a.action} ${a.target}`)).to.include.members([
        `mod ban deleted-${u.id}`, `deleted-${u.id} topic #lobby`, `chat-admin user.purge deleted-${u.id}`,
      ]);
      expect(await store.knex('bans').where('username', 'bob')).to.deep.equal([]);
      expect(await store.knex('mutes').where('username', 'bob')).to.deep.equal([]);
      // Alice's messages are untouched.
      expect((await store.searchMessages({ words: ['release'], rooms: ['lobby'], limit: 50 })).map((m) => m.id)).to.deep.equal(['s5', 's1']);
    });
  });
}

describe('search words for the engines', () => {
  it('leaves out of the MariaDB query the words InnoDB does not index (a required one would match nothing)', async () => {
    const { booleanMatch } = await import('../../lib/search-query.js');
    expect(booleanMatch(['the', 'release', 'ok', 'notes'])).to.equal('+release +notes');
    expect(booleanMatch(['the', 'ok'])).to.equal('');
  });
});

describe('the newest-rows check of MariaDB search', () => {
  it('matches whole words, case- and accent-insensitively, all of them', async () => {
    const { hasAllWords } = await import('../../lib/search-query.js');
    expect(hasAllWords('Réléase notes, v2', ['release', 'notes'])).to.equal(true);
    expect(hasAllWords('releases notes', ['release'])).to.equal(false);
    expect(hasAllWords('release', ['release', 'notes'])).to.equal(false);
  });
});
