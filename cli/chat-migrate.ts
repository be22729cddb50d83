#!/usr/bin/env node
// chat-migrate latest|rollback|status --db URL: the database schema of DESIGN.md, on SQLite or MySQL.
import { cliParser, parseCli, reportAndExit } from '../lib/cli.js';
import { openStore } from '../lib/store/index.js';
import { DEFAULT_DB } from '../lib/store/url.js';

const NAME = 'chat-migrate';

async function main(): Promise<void> {
  const argv = await parseCli(cliParser(NAME)
    .usage('$0 <latest|rollback|status> [--db URL]')
    .command('latest', 'apply every pending migration')
    .command('rollback', 'undo every applied migration (leaves an empty schema)')
    .command('status', 'list applied and pending migrations')
    .demandCommand(1, 1, 'name one action: latest, rollback or status')
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'sqlite:PATH or mysql://user:pass@host:3306/db' })
    .example('$0 latest --db mysql://chatd:secret@127.0.0.1:3306/chatd', 'create or upgrade the schema')
    );
  const action = String(argv._[0]);
  const store = await openStore(argv.db);
  try {
    if (action === 'latest') {
      const names = await store.migrateLatest();
      console.log(names.length ? `applied: ${names.join(', ')}` : 'already up to date');
    } else if (action === 'rollback') {
      const names = await store.migrateRollback();
      console.log(names.length ? `rolled back: ${names.join(', ')}` : 'nothing to roll back');
    } else if (action === 'status') {
      const { applied, pending } = await store.migrateStatus();
      for (const n of applied) console.log(`applied  ${n}`);
      for (const n of pending) console.log(`pending  ${n}`);
      if (!applied.length && !pending.length) console.log('no migrations');
    } else {
      process.stderr.write(`${NAME}: unknown action "${action}"; use latest, rollback or status\n`);
      process.exitCode = 2;
    }
  } finally {
    await store.close();
  }
}

main().catch((e) => reportAndExit(NAME, e));
