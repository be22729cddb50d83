#!/usr/bin/env node
// chat-migrate latest|rollback|status --db URL: the database schema of DESIGN.md, on SQLite or MySQL.
import { cliParser, examples, parseCli, reportAndExit } from '../lib/cli.js';
import { SetupError } from '../lib/errors.js';
import { isInteractive, promptLine } from '../lib/prompt.js';
import { openStore } from '../lib/store/index.js';
import { openExistingStore } from '../lib/store/existing.js';
import { DEFAULT_DB, redact } from '../lib/store/url.js';

const NAME = 'chat-migrate';

async function main(): Promise<void> {
  const argv = await parseCli(cliParser(NAME)
    .usage('$0 <latest|rollback|status> [--db URL]')
    .command('latest', 'apply every pending migration')
    .command('rollback', 'undo every applied migration (leaves an empty schema)')
    .command('status', 'list applied and pending migrations')
    .demandCommand(1, 1, 'name one action: latest, rollback or status')
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'sqlite:PATH or mysql://user:pass@host:3306/db' })
    .option('yes', { type: 'boolean', default: false, describe: 'rollback without asking (needed when there is no terminal to ask on)' })
    .epilog(examples([
      ['create or upgrade the schema', 'chat-migrate latest --db mysql://chatd:secret@127.0.0.1:3306/chatd'],
      ['what is applied and what is pending', 'chat-migrate status --db sqlite:./data/chatd.sqlite'],
    ]))
    );
  const action = String(argv._[0]);
  // Only `latest` creates a database; the others on a mistyped --db would create an empty one.
  const store = action === 'latest' ? await openStore(argv.db) : await openExistingStore(argv.db, { schema: false });
  try {
    if (action === 'latest') {
      const names = await store.migrateLatest();
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
    } else {
      process.stderr.write(`${NAME}: unknown action "${action}"; use latest, rollback or status\n`);
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
