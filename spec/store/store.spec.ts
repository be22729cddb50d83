// The same store spec on SQLite and (with CHATD_TEST_MYSQL) MariaDB: migrations, users, bans, history.
import { expect } from 'chai';
import { openStore, SQL, Store } from '../../lib/store/index.js';
import { parseDbUrl } from '../../lib/store/url.js';
import { auditLog, dbKinds, freshDb, liftBan } from '../helpers/world.js';
import type { MessageFrame } from '../../lib/protocol/frames.js';

const TABLES = ['roles', 'users', 'bans', 'revoked_certs', 'rooms', 'messages', 'audit_log', 'mutes', 'login_locks', 'invites', 'certificates', 'dms', 'server_secrets'];

function msg(id: string, room: string, text: string, ts: number): MessageFrame {
  return { type: 'message', id, ts: new Date(ts).toISOString(), room, from: { name: 'alice', role: 'user', color: 'cyan' }, text, kind: 'say' };
}

for (const kind of dbKinds()) {
  describe(`store on ${kind}`, function () {
    let db: { url: string; drop(): Promise<void> };
    let store: Store;

    before(async () => {
      db = await freshDb(kind);
      store = await openStore(db.url);
    });
    after(async () => {
      await store?.close();
      await db?.drop();
    });

    it('migrates to the full schema; latest twice is a no-op', async () => {
      expect(await store.migrateLatest()).to.deep.equal(['001_initial', '002_mutes', '003_login_locks', '004_audit_detail', '005_setter_level', '006_enrollment', '007_search', '008_dms', '009_server_secrets', '010_dms_ts', '011_cert_cutoffs']);
      expect(await store.migrateLatest()).to.deep.equal([]);
      for (const t of TABLES) expect(await store.knex.schema.hasTable(t), t).to.equal(true);
      expect(await store.migrateStatus()).to.deep.equal({ applied: ['001_initial', '002_mutes', '003_login_locks', '004_audit_detail', '005_setter_level', '006_enrollment', '007_search', '008_dms', '009_server_secrets', '010_dms_ts', '011_cert_cutoffs'], pending: [] });
    });

    it('seeds the default roles in level order', async () => {
      expect(await store.listRoles()).to.deep.equal([
        { name: 'user', level: 1, color: 'cyan' }, { name: 'moderator', level: 50, color: 'yellow' },
        { name: 'admin', level: 100, color: 'red' }, { name: 'owner', level: 1000, color: 'magenta' },
      ]);
    });

    it('finds users by exact name only (al never matches alice)', async () => {
      await store.createUser({ username: 'alice', passwordHash: 'h1', role: 'user' });
      await store.createUser({ username: 'ali', passwordHash: 'h2', role: 'moderator' });
      expect(await store.getUser('al')).to.equal(null);
      expect((await store.getUser('ali'))!.role).to.equal('moderator');
      const alice = (await store.getUser('alice'))!;
      expect(alice).to.include({ username: 'alice', role: 'user', level: 1, color: 'cyan', disabled: false });
      let err: unknown;
      try { await store.createUser({ username: 'alice', passwordHash: 'x', role: 'user' }); } catch (e) { err = e; }
      expect(err, 'duplicate username must fail').to.be.instanceOf(Error);
    });

    it('enforces the role foreign key', async () => {
      let err: unknown;
      try { await store.createUser({ username: 'zed', passwordHash: 'x', role: 'nosuchrole' }); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Error);
    });

    it('keeps bans active until they expire or are lifted', async () => {
      const alice = (await store.getUser('alice'))!;
      const now = Date.now();
      await store.addBan({ userId: alice.id, username: 'alice', ip: null, certFingerprint: null, reason: 'old', by: 'mod', expiresAt: now - 1000 });
      expect(await store.findActiveBan({ userId: alice.id })).to.equal(null);
      await store.addBan({ userId: alice.id, username: 'alice', ip: null, certFingerprint: null, reason: 'spam', by: 'mod', expiresAt: now + 60_000 });
      const ban = await store.findActiveBan({ userId: alice.id });
      expect(ban).to.include({ reason: 'spam', by: 'mod', username: 'alice' });
      expect((await store.listActiveBans()).map((b) => b.reason)).to.deep.equal(['spam']);
      // Banning again replaces the ban: one row, the new terms.
      await store.addBan({ userId: alice.id, username: 'alice', ip: null, certFingerprint: null, reason: 'spam again', by: 'boss', expiresAt: null });
      expect((await store.listActiveBans()).map((b) => [b.reason, b.expiresAt])).to.deep.equal([['spam again', null]]);
      expect(await store.liftBans(alice.id, 'boss')).to.equal(1);
      expect(await store.findActiveBan({ userId: alice.id })).to.equal(null);
    });

    it('finds a ban by any one identity and never by a missing one', async () => {
      const bob = await store.createUser({ username: 'bob', passwordHash: 'h', role: 'user' });
      const soon = Date.now() + 60_000;
      await store.addBan({ userId: null, username: null, ip: '10.0.0.9', certFingerprint: null, reason: 'ip', by: 'mod', expiresAt: soon });
      await store.addBan({ userId: null, username: null, ip: null, certFingerprint: 'EE:FF', reason: 'cert', by: 'mod', expiresAt: null });
      expect(await store.findActiveBan({ userId: bob })).to.equal(null);
      expect(await store.findActiveBan({ userId: bob, ip: null, fingerprint: null })).to.equal(null);
      expect(await store.findActiveBan({ userId: bob, ip: '10.0.0.1', fingerprint: 'AA:AA' })).to.equal(null);
      expect(await store.findActiveBan({ userId: bob, ip: '10.0.0.9' })).to.include({ reason: 'ip' });
      expect(await store.findActiveBan({ fingerprint: 'EE:FF' })).to.include({ reason: 'cert', expiresAt: null });
      // Newest first when several apply.
      expect(await store.findActiveBan({ ip: '10.0.0.9', fingerprint: 'EE:FF' })).to.include({ reason: 'cert' });
      await store.addBan({ userId: bob, username: 'bob', ip: null, certFingerprint: null, reason: 'user', by: 'mod', expiresAt: soon });
      expect(await store.findActiveBan({ userId: bob, ip: '10.0.0.9', fingerprint: 'EE:FF' })).to.include({ reason: 'user', userId: bob });
      expect(await store.liftBans(bob, 'boss')).to.equal(1);
      expect(await store.findActiveBan({ userId: bob })).to.equal(null);
      for (const b of await store.listActiveBans()) await liftBan(store, b.id, 'boss');
    });

    it('records logins and keeps the account fields typed', async () => {
      const alice = (await store.getUser('alice'))!;
      await store.recordLogin(alice.id, 1_700_000_000_000);
      expect(await store.getUser('alice')).to.include({ id: alice.id, lastLogin: 1_700_000_000_000, disabled: false });
      expect((await store.listUsers()).map((u) => u.username)).to.deep.equal(['ali', 'alice', 'bob']);
    });

    it('stores history per room, oldest first, and ignores duplicate ids', async () => {
      const t0 = Date.now();
      const rows = [msg('m1', 'lobby', 'one', t0), msg('m2', 'lobby', 'two', t0 + 1), msg('m3', 'random', 'other', t0 + 2), msg('m4', 'lobby', 'three', t0 + 3)];
      await store.insertMessages(rows.map((frame) => ({ frame, senderId: null })));
      await store.insertMessages([{ frame: rows[0], senderId: null }]);
      expect((await store.history('lobby', 10)).map((m) => m.text)).to.deep.equal(['one', 'two', 'three']);
      expect((await store.history('lobby', 2)).map((m) => m.text)).to.deep.equal(['two', 'three']);
      expect((await store.history('lobby', 10, t0 + 1)).map((m) => m.id)).to.deep.equal(['m4']);
      expect((await store.history('random', 10))[0]).to.deep.include({ id: 'm3', room: 'random', kind: 'say' });
    });

    it('writes a batch with new rooms, senders and /me lines, and a duplicate inside the batch once', async () => {
      const alice = (await store.getUser('alice'))!;
      const t0 = Date.now();
      const me = { ...msg('n1', 'newroom', 'waves', t0), kind: 'me' as const };
      await store.insertMessages([{ frame: me, senderId: alice.id }, { frame: msg('n2', 'newroom', 'hi', t0 + 1), senderId: null }, { frame: me, senderId: alice.id }]);
      const got = await store.history('newroom', 10);
      expect(got).to.deep.equal([me, msg('n2', 'newroom', 'hi', t0 + 1)]);
      expect((await store.listRooms()).map((r) => r.name)).to.include('newroom');
    });

    it('keeps one mute per user until it is lifted or expires; deleting the user removes it', async () => {
      const alice = (await store.getUser('alice'))!;
      const bob = (await store.getUser('bob'))!;
      const now = Date.now();
      await store.setMute({ userId: alice.id, username: 'alice', until: now - 1, by: 'mod' });
      expect(await store.activeMutes(now)).to.deep.equal([]);
      await store.setMute({ userId: alice.id, username: 'alice', until: now + 60_000, by: 'mod' });
      await store.setMute({ userId: bob.id, username: 'bob', until: null, by: 'boss', byLevel: 100 });
      const active = (await store.activeMutes(now)).sort((x, y) => x.userId - y.userId);
      expect(active).to.deep.equal([
        { userId: alice.id, username: 'alice', until: now + 60_000, by: 'mod', byLevel: null },
        { userId: bob.id, username: 'bob', until: null, by: 'boss', byLevel: 100 },
      ]);
      await store.liftMute(alice.id);
      await store.knex('users').where({ id: bob.id }).del();
      expect(await store.activeMutes(now)).to.deep.equal([]);
    });

    it('revokes certificates once', async () => {
      expect(await store.revokeCert('AA:BB', 'boss')).to.equal(true);
      expect(await store.revokeCert('AA:BB', 'boss')).to.equal(false);
      expect(await store.isRevoked('AA:BB')).to.equal(true);
      expect(await store.isRevoked('CC:DD')).to.equal(false);
    });

    it('writes the audit log', async () => {
      await store.audit({ actor: 'mod', action: 'ban', target: 'alice', detail: '10m spam' });
      expect((await auditLog(store, 1))[0]).to.include({ actor: 'mod', action: 'ban', target: 'alice' });
    });

    if (kind === 'sqlite') {
      it('answers every login, join and history query from an index, without a temporary sort', async () => {
        const hot = ['userByName', 'revoked', 'loginLock', 'matchingBans', 'room', 'history', 'historyAfter', 'mailbox', 'pruneDms'] as const;
        for (const name of hot) {
          const entry = SQL[name];
          const sql = typeof entry === 'function' ? entry(50) : entry;
          const binds = Array((sql.match(/\?/g) ?? []).length).fill(1);
          const plan = (await store.knex.raw(`explain query plan ${sql}`, binds) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
          expect(plan, name).to.not.match(/TEMP B-TREE|^SCAN|\| SCAN/);
        }
      });

      it('binds no LIMIT in a hot query: SQLite would prepare the statement again on every call', () => {
        // SQLite marks a statement with a bound LIMIT to be re-prepared whenever it is bound again
        // (13–14 µs instead of 3 per history or mailbox read, BENCHMARKS.md finding 18).
        for (const [name, entry] of Object.entries(SQL)) {
          const sql = typeof entry === 'function' ? entry(50) : entry;
          expect(sql, name).to.not.match(/limit\s+\?/i);
        }
        expect(SQL.history(7)).to.match(/ limit 7$/);
        // Only whole numbers reach the SQL text.
        for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) expect(() => SQL.mailbox(bad), String(bad)).to.throw(RangeError);
      });

      it('runs a hot query only while no knex transaction holds the one connection', async () => {
        // The hot queries skip the pool's acquire while the connection is free (lib/store/direct.ts).
        // Inside a transaction they would read its uncommitted rows, and their writes would join it.
        let inserted!: () => void;
        let finish!: () => void;
        const insertedP = new Promise<void>((r) => { inserted = r; });
        const finishP = new Promise<void>((r) => { finish = r; });
        const trx = store.knex.transaction(async (t) => {
          await t('users').insert({ username: 'txn-carol', password_hash: 'h', role: 'user', created_at: Date.now() });
          inserted();
          await finishP;
          throw new Error('rolled back');
        });
        await insertedP;
        let answered = false;
        const read = store.getUser('txn-carol').then((u) => { answered = true; return u; });
        await new Promise((r) => setImmediate(r));
        expect(answered, 'the read waited for the transaction').to.equal(false);
        finish();
        await trx.catch(() => {});
        expect(await read, 'the rolled-back row is not seen').to.equal(null);
        expect(await store.getUser('alice')).to.not.equal(null); // and the connection serves again without the pool
      });
    }

    it('rolls back to an empty schema', async () => {
      expect(await store.migrateRollback()).to.deep.equal(['011_cert_cutoffs', '010_dms_ts', '009_server_secrets', '008_dms', '007_search', '006_enrollment', '005_setter_level', '004_audit_detail', '003_login_locks', '002_mutes', '001_initial']);
      for (const t of TABLES) expect(await store.knex.schema.hasTable(t), t).to.equal(false);
      expect(await store.migrateStatus()).to.deep.equal({ applied: [], pending: ['001_initial', '002_mutes', '003_login_locks', '004_audit_detail', '005_setter_level', '006_enrollment', '007_search', '008_dms', '009_server_secrets', '010_dms_ts', '011_cert_cutoffs'] });
    });

    it('answers again on a schema made anew (statements prepared before are not stale)', async () => {
      expect(await store.migrateLatest()).to.deep.equal(['001_initial', '002_mutes', '003_login_locks', '004_audit_detail', '005_setter_level', '006_enrollment', '007_search', '008_dms', '009_server_secrets', '010_dms_ts', '011_cert_cutoffs']);
      expect(await store.getUser('alice')).to.equal(null);
      await store.createUser({ username: 'alice', passwordHash: 'h3', role: 'admin' });
      expect(await store.getUser('alice')).to.include({ passwordHash: 'h3', level: 100 });
      expect(await store.history('lobby', 10)).to.deep.equal([]);
    });
  });
}

describe('database URLs', () => {
  it('parses sqlite and mysql URLs', () => {
    expect(parseDbUrl('sqlite:./data/x.sqlite')).to.deep.equal({ kind: 'sqlite', filename: './data/x.sqlite' });
    expect(parseDbUrl('mysql://u:p%40ss@db:3307/chat')).to.deep.equal({ kind: 'mysql', host: 'db', port: 3307, user: 'u', password: 'p@ss', database: 'chat' });
  });
  it('rejects bad URLs with one clear line', () => {
    for (const bad of ['postgres://x/y', 'sqlite:', 'mysql://host:3306/', 'nonsense']) {
      expect(() => parseDbUrl(bad), bad).to.throw(/bad --db URL/);
    }
  });
});
