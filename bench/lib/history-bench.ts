// Section "history": how fast the Store writes chat history and answers `history 200`, on SQLite
// and on MariaDB. This is the store chatd itself uses (lib/store), called the way chatd calls it:
// HistoryWriter hands insertMessages batches of up to 500 rows, `history [n≤200]` and the history
// frame on join call store.history(room, n). Runs in the orchestrator: no server is involved.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knexFactory from 'knex';
import { openStore, type MessageRow } from '../../lib/store/index.js';
import { percentile } from './stats.js';

export const BATCH = 500; // lib/history.ts writes at most 500 rows per transaction
const ROOMS = 10; // messages spread over 10 rooms; `history 200` reads one of them
const TEXT = 'the quick brown fox jumps over the lazy dog, then naps; everyone agrees: fine!!';

export type HistoryFigures = {
  db: 'sqlite' | 'mariadb'; messages: number; batch: number; insertPerSec: number; batchMsP50: number;
  historyQueries: number; history200MsP50: number; history200MsP99: number;
};

export async function historyBench(url: string, kind: HistoryFigures['db'], messages: number, queries: number): Promise<HistoryFigures> {
  const store = await openStore(url);
  try {
    await store.migrateLatest();
    const senderId = await store.createUser({ username: 'histbench', passwordHash: '$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', role: 'user' });
    const from = { name: 'histbench', role: 'user', color: 'cyan' };
    const t0 = Date.now() - messages; // one message per ms, ending now
    const batchMs: number[] = [];
    const start = performance.now();
    for (let i = 0; i < messages; i += BATCH) {
      const rows: MessageRow[] = [];
      for (let j = i; j < Math.min(messages, i + BATCH); j++) {
        rows.push({
          senderId,
          frame: { type: 'message', id: `h${process.pid.toString(36)}${j.toString(36)}`, ts: new Date(t0 + j).toISOString(), room: j % ROOMS ? `room${j % ROOMS}` : 'lobby', from, text: `${TEXT} #${j}`, kind: 'say' },
        });
      }
      const b0 = performance.now();
      await store.insertMessages(rows);
      batchMs.push(performance.now() - b0);
    }
    const insertMs = performance.now() - start;
    for (let i = 0; i < 5; i++) await store.history('lobby', 200); // warm-up: statement cache, pages
    const times: number[] = [];
    for (let i = 0; i < queries; i++) {
      const q0 = performance.now();
      const got = await store.history('lobby', 200);
      times.push(performance.now() - q0);
      if (got.length !== 200) throw new Error(`history 200 returned ${got.length} rows`);
    }
    return {
      db: kind, messages, batch: BATCH, insertPerSec: (messages * 1000) / insertMs, batchMsP50: percentile(batchMs, 0.5),
      historyQueries: queries, history200MsP50: percentile(times, 0.5), history200MsP99: percentile(times, 0.99),
    };
  } finally {
    await store.close();
  }
}

export async function sqliteHistory(messages: number, queries: number): Promise<HistoryFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-bench-hist-'));
  try {
    return await historyBench(`sqlite:${path.join(dir, 'history.sqlite')}`, 'sqlite', messages, queries);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates `chatd_bench_<pid>` on the server, benches it, drops it (also on failure). Null + reason if unreachable. */
export async function mariadbHistory(base: string, messages: number, queries: number): Promise<{ figures: HistoryFigures | null; note?: string }> {
  const name = `chatd_bench_${process.pid}`;
  const admin = knexFactory({ client: 'mysql2', connection: base, acquireConnectionTimeout: 4000, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } catch (e) {
    await admin.destroy().catch(() => {});
    return { figures: null, note: `MariaDB skipped: ${base.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')} unreachable (${(e as Error).message.split('\n')[0]})` };
  }
  try {
    const u = new URL(base);
    u.pathname = `/${name}`;
    return { figures: await historyBench(u.toString(), 'mariadb', messages, queries) };
  } finally {
    await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => {});
    await admin.destroy().catch(() => {});
  }
}
