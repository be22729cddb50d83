// Several processes migrating a fresh database at once (chatd nodes starting together, or chatd and a
// chat-migrate latest): knex creates its bookkeeping tables by "no such table? create it", so the
// losers died with "table knex_migrations already exists", and two inserted lock rows made every
// later migration fail "already locked" for good. Now the bookkeeping is created in one retried step
// that leaves exactly one lock row: every process exits 0, one of them applies the migrations.
import { expect } from 'chai';
import knexFactory from 'knex';
import { knexConfig, parseDbUrl } from '../../lib/store/url.js';
import { openStore } from '../../lib/store/index.js';
import { MIGRATIONS } from '../../lib/store/migrations.js';
import { runBin } from '../helpers/bin.js';
import { dbKinds, freshDb } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`chat-migrate latest from several processes at once, on ${kind}`, function () {
    this.timeout(120000);
    const lockRows = async (url: string) => {
      const knex = knexFactory(knexConfig(parseDbUrl(url)));
      try { return (await knex('knex_migrations_lock').select('*')).length; } finally { await knex.destroy(); }
    };

    // Two connections in one process interleave at every await, so the race is there each time.
    it('four stores (nodes) in one process migrating one fresh database at once', async () => {
      const db = await freshDb(kind);
      const stores = await Promise.all([1, 2, 3, 4].map(() => openStore(db.url)));
      try {
        const applied = await Promise.all(stores.map((s) => s.migrateLatest()));
        expect(applied.filter((names) => names.length === MIGRATIONS.length)).to.have.length(1);
        expect(applied.filter((names) => names.length === 0)).to.have.length(3);
        expect(await lockRows(db.url)).to.equal(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await db.drop();
      }
    });

    for (let round = 1; round <= 3; round++) {
      it(`round ${round}: five at once on a fresh database all succeed, one applies, one lock row`, async () => {
        const db = await freshDb(kind);
        try {
          const results = await Promise.all([1, 2, 3, 4, 5].map(() => runBin('chat-migrate', ['latest', '--db', db.url])));
          for (const r of results) expect(r.code, r.err).to.equal(0);
          expect(results.filter((r) => /applied: 001_initial/.test(r.out))).to.have.length(1);
          expect(await lockRows(db.url)).to.equal(1);
        } finally { await db.drop(); }
      });
    }
  });
}
