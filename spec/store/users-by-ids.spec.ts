// Store.usersByIds (lib/store/accounts.ts) on SQLite and (with CHATD_TEST_MYSQL) MariaDB: the users
// of every session at a shutdown (resume tokens in the byes) in one query per 500 ids, whatever the
// count, so 1,000 sessions cost two queries, not 1,000, and no IN list outgrows a parameter limit.
import { expect } from 'chai';
import { openStore, type Store } from '../../lib/store/index.js';
import { USERS_BY_ID_CHUNK } from '../../lib/store/accounts.js';
import { dbKinds, freshDb } from '../helpers/world.js';

const COUNT = 1100; // three chunks: 500, 500, 100

for (const kind of dbKinds()) {
  describe(`store on ${kind}: usersByIds`, function () {
    this.timeout(30000);
    let db: { url: string; drop(): Promise<void> };
    let store: Store;
    let ids: number[];

    before(async () => {
      db = await freshDb(kind);
      store = await openStore(db.url);
      await store.migrateLatest();
      const rows = Array.from({ length: COUNT }, (_, i) => ({ username: `u${i}`, password_hash: `hash-${i}`, role: 'user', created_at: 1 }));
      for (let i = 0; i < rows.length; i += 200) await store.knex('users').insert(rows.slice(i, i + 200));
      ids = (await store.knex('users').select('id')).map((r: any) => Number(r.id));
      expect(ids).to.have.length(COUNT);
    });
    after(async () => {
      await store?.close();
      await db?.drop();
    });

    /** The SQL statements `fn` sends. */
    async function queries<T>(fn: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
      const sql: string[] = [];
      const on = (q: { sql: string }) => { sql.push(q.sql); };
      store.knex.on('query', on);
      try {
        return { result: await fn(), sql };
      } finally {
        store.knex.removeListener('query', on);
      }
    }

    it(`${COUNT} ids (with repeats and unknown ones): every known user once, with its role's level and color, in ${Math.ceil(COUNT / USERS_BY_ID_CHUNK)} queries`, async () => {
      const asked = [...ids, ...ids.slice(0, 50), 999_999_999];
      const { result, sql } = await queries(() => store.usersByIds(asked));
      expect(sql).to.have.length(Math.ceil(COUNT / USERS_BY_ID_CHUNK));
      expect(result.map((u) => u.id).sort((a, b) => a - b)).to.deep.equal([...ids].sort((a, b) => a - b));
      const one = result.find((u) => u.username === 'u7')!;
      expect(one).to.include({ passwordHash: 'hash-7', role: 'user', disabled: false });
      expect(one.level).to.equal((await store.getUser('u7'))!.level);
      expect(one.color).to.equal((await store.getUser('u7'))!.color);
    });

    it('no ids: no query', async () => {
      const { result, sql } = await queries(() => store.usersByIds([]));
      expect(result).to.deep.equal([]);
      expect(sql).to.deep.equal([]);
    });
  });
}
