#!/usr/bin/env node
// chat-certs init|client|show: the private CA, server and client certificates of chatd's mutual TLS.
import fs from 'node:fs';
import { cliParser, examples, parseCli, reportAndExit } from '../lib/cli.js';
import { SetupError } from '../lib/errors.js';
import { certInfo, initCertDir, issueClientCert, LEAF_DAYS, MAX_CERT_DAYS } from '../lib/auth/certs.js';

const NAME = 'chat-certs';

const dirOption = { type: 'string', default: 'certs', describe: 'certificate directory' } as const;
const forceOption = { type: 'boolean', default: false, describe: 'overwrite existing files' } as const;
const daysOption = { type: 'number', default: LEAF_DAYS, describe: 'validity in days' } as const;

/**
 * The .p12 password from CHATD_P12_PASSWORD, read before parseCli: it sets aside the CHATD_* variables
 * of flags the top level does not know (a subcommand's), and the password given as --p12-password is
 * in the process list for anyone on the machine to read.
 */
const P12_PASSWORD_ENV = process.env.CHATD_P12_PASSWORD;

async function main(): Promise<void> {
  await parseCli(cliParser(NAME)
    .usage('$0 <init|client|show> …')
    .command(
      'init',
      'create a CA and a server certificate for the given hosts',
      (y) => y
        .option('dir', dirOption)
        .option('hosts', { type: 'string', default: 'localhost,127.0.0.1', describe: 'comma-separated DNS names and IP addresses (SANs)' })
        .option('force', forceOption)
        .option('days', { ...daysOption, describe: 'validity of the server certificate in days (the CA gets 10 years)' })
        .check((a) => checkDays(a.days)),
      async (a) => printWritten(await initCertDir(a.dir, a.hosts.split(','), { force: a.force, days: a.days })),
    )
    .command(
      'client <name>',
      'issue a client certificate whose CN is the login name',
      (y) => y
        .positional('name', { type: 'string', demandOption: true, describe: 'login name (the certificate CN)' })
        .option('dir', dirOption)
        .option('p12', { type: 'boolean', default: false, describe: 'also write <name>.p12 (key, certificate, CA)' })
        .option('p12-password', { type: 'string', default: '', describe: 'password of the .p12 file (better: CHATD_P12_PASSWORD, which the process list does not show)' })
        .option('force', forceOption)
        .option('days', daysOption)
        .check((a) => checkDays(a.days)),
      async (a) => printWritten(await issueClientCert(a.dir, a.name, {
        force: a.force, days: a.days, p12: a.p12, p12Password: a.p12Password || P12_PASSWORD_ENV || '',
      })),
    )
    .command(
      'show <file>',
      'print subject, issuer, SHA-256 fingerprint, validity and SANs of a certificate',
      (y) => y.positional('file', { type: 'string', demandOption: true, describe: 'certificate file (PEM or DER)' }),
      (a) => showCert(a.file),
    )
    .demandCommand(1, 1, 'name one action: init, client or show')
    .epilog(examples([
      ['CA + server certificate', 'chat-certs init --dir certs --hosts chat.example.org,203.0.113.7'],
      ['client certificate for user alice (and a .p12 bundle)', 'chat-certs client alice --dir certs --p12'],
      ['fingerprint and validity', 'chat-certs show certs/clients/alice.crt'],
    ]))
    );
}

function checkDays(days: number): true {
  if (Number.isInteger(days) && days >= 1 && days <= MAX_CERT_DAYS) return true;
  throw new SetupError(`--days must be a whole number from 1 to ${MAX_CERT_DAYS}`, 2);
}

function printWritten(paths: string[]): void {
  for (const p of paths) console.log(`wrote ${p}`);
}

/** One `key: value` per line, so scripts can pick out the fingerprint. */
function showCert(file: string): void {
  let info;
  try {
    info = certInfo(fs.readFileSync(file));
  } catch (e) {
    if (e instanceof SetupError) throw new SetupError(`${file}: ${e.message}`);
    throw e;
  }
  const lines: [string, string][] = [
    ['subject', info.subject],
    ['issuer', info.issuer],
    ['sha256 fingerprint', info.fingerprint256],
    ['not before', info.notBefore.toISOString()],
    ['not after', info.notAfter.toISOString()],
    ['subject alt names', info.sans.join(', ') || '(none)'],
    ['ca', info.isCA ? 'yes' : 'no'],
  ];
  for (const [k, v] of lines) console.log(`${k}: ${v}`);
}

main().catch((e) => reportAndExit(NAME, e));
