// Migrations are imported statically rather than read from a directory, so the same list works from
// dist/ after tsc, in specs and in an installed package, and a schema newer than this build is detected.
import type { Knex } from 'knex';
import * as m001 from '../../migrations/001_initial.js';
import * as m002 from '../../migrations/002_mutes.js';
import * as m003 from '../../migrations/003_login_locks.js';
import * as m004 from '../../migrations/004_audit_detail.js';
import * as m005 from '../../migrations/005_setter_level.js';
import * as m006 from '../../migrations/006_enrollment.js';
import * as m007 from '../../migrations/007_search.js';
import * as m008 from '../../migrations/008_dms.js';
import * as m009 from '../../migrations/009_server_secrets.js';
import * as m010 from '../../migrations/010_dms_ts.js';
import * as m011 from '../../migrations/011_cert_cutoffs.js';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

export const MIGRATIONS: Array<[string, Migration]> = [
  ['001_initial', m001], ['002_mutes', m002], ['003_login_locks', m003], ['004_audit_detail', m004], ['005_setter_level', m005],
  ['006_enrollment', m006],
  ['007_search', m007],
  ['008_dms', m008],
  ['009_server_secrets', m009],
  ['010_dms_ts', m010],
  ['011_cert_cutoffs', m011],
];

export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  async getMigrations() { return MIGRATIONS; },
  getMigrationName([name]) { return name; },
  async getMigration([, migration]) { return migration; },
};
