#!/usr/bin/env node
// chat-migrate latest|rollback|status|unlock --db URL: the database schema of DESIGN.md, on SQLite or MySQL.
import { cliParser, examples, parseCli, reportAndExit } from '../lib/cli.js';
import { SetupError } from '../lib/errors.js';
import { isInteractive, promptLine } from '../lib/prompt.js';
import { openStore } from '../lib/store/index.js';
import { openExistingStore } from '../lib/store/existing.js';
import { DEFAULT_DB, redact } from '../lib/store/url.js';

const NAME = 'chat-migrate';

async function main(): Promise<void> {
  const argv = await parseCli(cliParser(NAME)
    .usage('$0 <latest|rollback|status|unlock> [--db URL]')
    .command('latest', 'apply every pending migration')
    .command('rollback', 'undo every applied migration (leaves an empty schema)')
    .command('status', 'list applied and pending migrations')
    .command('unlock', 'release the migration lock of a process that was stopped while migrating')
    .demandCommand(1, 1, 'name one action: latest, rollback, status or unlock')
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'sqlite:PATH or mysql://user:pass@host:3306/db' })
    .option('wait', { type: 'number', default: 30, describe: 'latest: seconds to wait for another process\'s migration lock' })
    .option('yes', { type: 'boolean', default: false, describe: 'rollback without asking (needed when there is no terminal to ask on)' })
    .epilog(examples([
      ['create or upgrade the schema', 'chat-migrate latest --db mysql://chatd:secret@127.0.0.1:3306/chatd'],
      ['what is applied and what is pending', 'chat-migrate status --db sqlite:./data/chatd.sqlite'],
      ['wait up to 2 minutes for another node that is migrating', 'chat-migrate latest --wait 120'],
      ['drop every table, from a script', 'chat-migrate rollback --yes --db sqlite:./data/chatd.sqlite'],
      ['after a migration was killed half-way (no chatd or chat-migrate running)', 'chat-migrate unlock --db sqlite:./data/chatd.sqlite'],
    ]))
    );
  const action = String(argv._[0]);
  // Only `latest` creates a database; the others on a mistyped --db would create an empty one.
  const store = action === 'latest' ? await openStore(argv.db) : await openExistingStore(argv.db, { schema: false });
  try {
    if (action === 'latest') {
      if (!(Number.isFinite(argv.wait) && argv.wait >= 0)) throw new SetupError('--wait must be a number of seconds >= 0', 2);
      const names = await store.migrateLatest({ waitMs: argv.wait * 1000 });
      console.log(names.length ? `applied: ${names.join(', ')}` : 'already up to date');
    } else if (action === 'rollback') {
      if (!argv.yes) await confirmRollback(argv.db);
      const names = await store.migrateRollback();
      console.log(names.length ? `rolled back: ${names.join(', ')}` : 'nothing to roll back');
    } else if (action === 'status') {
      const { applied, pending } = await store.migrateStatus();
      for (const n of applied) console.log(`applied  ${n}`);
      for (const n of pending) console.log(`pending  ${n}`);
      if (!applied.length && !pending.length) console.log('no migrations');
    } else if (action === 'unlock') {
      // Only the lock flag: a migration that was under way is rolled back (SQLite) or half done (MySQL
      // DDL is not transactional); `latest` then applies what is pending.
      console.log(await store.migrateUnlock() ? 'released the migration lock' : 'the migration lock was not held');
    } else {
      process.stderr.write(`${NAME}: unknown action "${action}"; use latest, rollback, status or unlock\n`);
      process.exitCode = 2;
    }
  } finally {
    await store.close();
  }
}

/** Rollback drops every table and all chat data: asked on a terminal, else only with --yes. */
async function confirmRollback(db: string): Promise<void> {
  if (!isInteractive()) {
    throw new SetupError('rollback drops every table and all chat data; pass --yes to confirm (no terminal to ask on)', 2);
  }
  const answer = await promptLine(`Roll back every migration of ${redact(db)}? This drops every table and all chat data. Type "yes" to go on: `);
  if (answer.trim().toLowerCase() !== 'yes') throw new SetupError('rollback cancelled; nothing changed');
}

main().catch((e) => reportAndExit(NAME, e));
