// Certificates of a name issued before a point in time, refused at login (lib/auth/login.ts). A
// re-enrollment (`chat-admin invite add --existing`: a lost key) and `chat-admin purge` revoke the
// certificates chatd has recorded, but one made with chat-certs and never used to log in is in no
// table: it stayed valid, as half of the account's login (or, with ircCertLogin, all of it). Kept by
// name, not by account: a purged account's name is free for a new account, and the old
// certificates carry the name.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('cert_cutoffs', (t) => {
    t.string('name', 32).primary(); // a login name, lowercase, as users.username
    t.bigInteger('not_before').notNullable(); // ms: a certificate whose notBefore is earlier is refused
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('cert_cutoffs');
}
