// Section "history", part two: `search` over a large history, on SQLite (FTS5) and MariaDB
// (FULLTEXT). The rows are loaded at schema 005 and the search migration (006) then builds the index
// over all of them, as it does on an existing deployment; its time is reported too. Queries go
// through store.searchMessages, as the search command calls it, for a user in 3 of 10 rooms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knexFactory from 'knex';
import { openStore, type MessageRow } from '../../lib/store/index.js';
import { MIGRATIONS } from '../../lib/store/migrations.js';
import { percentile } from './stats.js';

const LOAD_BATCH = 5000;
const ROOMS = 10;
const VOCABULARY = 5000;

export type SearchFigures = {
  db: 'sqlite' | 'mariadb'; messages: number; indexBuildS: number; queries: number;
  searchMsP50: number; searchMsP99: number;
  /** The worst kind: a word in a third to a half of all messages; and a word in one message only. */
  commonMsP99: number; rareMsP99: number;
  /** A word in 0.2–2 % of all messages. */
  middleMsP99: number;
};

/** Deterministic words with a Zipf-like spread: word k appears about 1/k as often as word 1. */
function wordAt(k: number): string { return `w${k.toString(36)}x`; }
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
function zipf(r: () => number): number { return Math.min(VOCABULARY, Math.floor(Math.exp(r() * Math.log(VOCABULARY + 1)))); }

export async function searchBench(url: string, kind: SearchFigures['db'], messages: number, queries: number, log: (s: string) => void): Promise<SearchFigures> {
  const store = await openStore(url);
  try {
    const before006 = MIGRATIONS.filter(([n]) => n < '006');
    await store.knex.migrate.latest({ migrationSource: { getMigrations: async () => before006, getMigrationName: ([n]: [string, unknown]) => n, getMigration: async ([, m]: [string, any]) => m } } as any);
    const senderId = await store.createUser({ username: 'searchbench', passwordHash: '$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', role: 'user' });
    const from = { name: 'searchbench', role: 'user', color: 'cyan' };
    const r = rng(42);
    const t0 = Date.now() - messages;
    const l0 = performance.now();
    for (let i = 0; i < messages; i += LOAD_BATCH) {
      const rows: MessageRow[] = [];
      for (let j = i; j < Math.min(messages, i + LOAD_BATCH); j++) {
        const words = Array.from({ length: 8 + (j % 5) }, () => wordAt(zipf(r)));
        words.push(`m${j.toString(36)}q`); // one word no other message has
        rows.push({ senderId, frame: { type: 'message', id: `s${j.toString(36)}`, ts: new Date(t0 + j).toISOString(), room: `room${j % ROOMS}`, from, text: words.join(' '), kind: 'say' } });
      }
      await store.insertMessages(rows);
    }
    log(`search ${kind}: ${messages} messages loaded in ${((performance.now() - l0) / 1000).toFixed(1)} s; building the index (migration 006)`);
    const b0 = performance.now();
    await store.migrateLatest();
    const indexBuildS = (performance.now() - b0) / 1000;
    const rooms = ['room1', 'room4', 'room7'];
    const common: number[] = [];
    const rare: number[] = [];
    const middle: number[] = [];
    const all: number[] = [];
    const q = rng(7);
    const run = async (words: string[], into: number[]) => {
      const s0 = performance.now();
      await store.searchMessages({ words, rooms, limit: 20 });
      const ms = performance.now() - s0;
      into.push(ms);
      all.push(ms);
    };
    for (let i = 0; i < 5; i++) await run([wordAt(2)], []); // warm-up
    all.length = 0;
    for (let i = 0; i < queries; i++) {
      switch (i % 4) {
        case 0: await run([wordAt(1 + (i % 3))], common); break; // ~1 in 8 messages
        case 1: await run([wordAt(50 + Math.floor(q() * 500))], middle); break;
        case 2: await run([`m${Math.floor(q() * messages).toString(36)}q`], rare); break;
        default: await run([wordAt(1 + Math.floor(q() * 20)), wordAt(100 + Math.floor(q() * 1000))], []);
      }
    }
    return {
      db: kind, messages, indexBuildS, queries, searchMsP50: percentile(all, 0.5), searchMsP99: percentile(all, 0.99),
      commonMsP99: percentile(common, 0.99), rareMsP99: percentile(rare, 0.99), middleMsP99: percentile(middle, 0.99),
    };
  } finally {
    await store.close();
  }
}

export async function sqliteSearch(messages: number, queries: number, log: (s: string) => void): Promise<SearchFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-bench-search-'));
  try {
    return await searchBench(`sqlite:${path.join(dir, 'search.sqlite')}`, 'sqlite', messages, queries, log);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** On `chatd_bench_search_<pid>`, created and dropped here; null when MariaDB is unreachable. */
export async function mariadbSearch(base: string, messages: number, queries: number, log: (s: string) => void): Promise<SearchFigures | null> {
  const name = `chatd_bench_search_${process.pid}`;
  const admin = knexFactory({ client: 'mysql2', connection: base, acquireConnectionTimeout: 4000, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } catch {
    await admin.destroy().catch(() => {});
    return null;
  }
  try {
    const u = new URL(base);
    u.pathname = `/${name}`;
    return await searchBench(u.toString(), 'mariadb', messages, queries, log);
  } finally {
    await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => {});
    await admin.destroy().catch(() => {});
  }
}
