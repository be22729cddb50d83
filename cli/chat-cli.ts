#!/usr/bin/env node
// chat-cli: the terminal client of chatd over mutual TLS (JSON Lines, ALPN chatd/1). Interactive on a
// terminal; `--send` for one line; piped stdin sends each line; `--json` prints raw frames.
import { cliParser, examples, parseCli, reportAndExit } from '../lib/cli.js';
import { SetupError } from '../lib/errors.js';
import { DEFAULTS, runChatCli } from '../lib/client/main.js';
import type { BellMode } from '../lib/client/mentions.js';
import { runEnroll } from '../lib/client/enroll.js';
import { hideBin } from 'yargs/helpers';

const NAME = 'chat-cli';

/** `chat-cli enroll <code>`: its own flags, apart from the chat client's. */
async function enroll(args: string[]): Promise<number> {
  const argv = await parseCli(cliParser(`${NAME} enroll`, args)
    .usage([
      '$0 <code> [--host H] [--port P] [--dir D]',
      '',
      'Joins a chatd with the invite code an operator gave you (chat-admin invite add). The server is',
      'checked against the CA fingerprint in the code before anything is sent; your key is made on this',
      'machine and never leaves it. Then plain `chat-cli` connects with the profile written to --dir.',
    ].join('\n'))
    .options({
      host: { type: 'string', describe: 'server host [default: from the code]' },
      port: { type: 'string', coerce: (v: string | undefined) => (v === undefined ? undefined : Number(v)), describe: 'server port [default: from the code, else 7443]' },
      dir: { type: 'string', describe: 'profile directory [default: $XDG_CONFIG_HOME/chatd, else ~/.config/chatd]' },
      'password-file': { type: 'string', describe: 'read the new password from the first line of this file' },
    })
    .demandCommand(1, 1, 'give the invite code', 'give one invite code')
    .check((a) => {
      if (a.port !== undefined && (!Number.isInteger(a.port) || (a.port as number) < 1 || (a.port as number) > 65535)) throw new SetupError(`--port must be 1-65535, not ${String(a.port)}`, 2);
      return true;
    }));
  return runEnroll({
    code: String(argv._[0]), host: argv.host, port: argv.port as number | undefined, dir: argv.dir, passwordFile: argv['password-file'],
  }, process.env, (s) => process.stdout.write(s));
}

try {
  const args = hideBin(process.argv);
  if (args[0] === 'enroll') process.exit(await enroll(args.slice(1)));
  const parser = cliParser(NAME)
    .usage([
      '$0 [options]',
      '',
      'The chatd terminal client. On a terminal it is interactive (Tab completes commands and names,',
      'Ctrl-C or //quit leaves); with piped stdin it sends each line in order and exits at EOF once',
      'every line is answered; --send sends one line. Every flag has a CHATD_<FLAG> fallback',
      '(CHATD_HOST, CHATD_PORT, CHATD_USER, ...). The password comes from --password-file, CHATD_PASSWORD',
      'or a hidden prompt on a terminal; it is never a flag.',
    ].join('\n'))
    .options({
      host: { type: 'string', describe: `chatd host name or address (must be named in its certificate) [default: the profile's, else ${DEFAULTS.host}]` },
      // Numbers are parsed as strings: with duplicate-arguments-array off, yargs-parser 22 adds up a
      // repeated number flag (--port 5 --port 1 gives 6) instead of keeping the last value.
      port: { type: 'string', coerce: (v: string | undefined) => (v === undefined ? undefined : Number(v)), describe: `chatd port [default: the profile's, else ${DEFAULTS.port}]` },
      ca: { type: 'string', describe: `CA certificate (PEM) the server certificate must chain to [default: the profile's, else ${DEFAULTS.ca}]` },
      cert: { type: 'string', describe: `client certificate (PEM) [default: ${DEFAULTS.certDir}/<user>.crt]` },
      key: { type: 'string', describe: `client key (PEM) [default: --cert with .key, or ${DEFAULTS.certDir}/<user>.key]` },
      user: { type: 'string', describe: 'login name [default: the CN of --cert]' },
      'password-file': { type: 'string', describe: 'read the password from the first line of this file' },
      send: { type: 'string', describe: 'send one line (a message, or a command with the server prefix), wait for its answer, exit' },
      json: { type: 'boolean', default: false, describe: 'print raw frames as JSON lines on stdout (status on stderr); reads lines from stdin' },
      bell: { type: 'string', choices: ['off', 'mention', 'all'], default: 'mention', describe: 'ring the terminal bell on a mention of your name or a DM (mention), on every message of others (all), or never' },
      'idle-timeout': { type: 'string', coerce: Number, default: 90, hidden: true, describe: 'seconds without data from the server before the connection counts as dead' },
    })
    .epilog(examples([
      ['chat as admin with what npm start made (asks for the password)', 'chat-cli --user admin'],
      ['another server', ['chat-cli --host chat.example.org --ca ca.crt', '--cert alice.crt --key alice.key']],
      ['one line from a script', "chat-cli --user alice --password-file ~/.chatd-pw --send 'deploy done'"],
      ['commands through a pipe, raw JSON frames out', "printf '//users\\n' | chat-cli --user alice --password-file pw --json"],
    ]))
    // Bad flag values are bad usage: exit 2, as for an unknown flag (a plain Error here would exit 1).
    .check((a) => {
      if (a.port !== undefined && (!Number.isInteger(a.port) || (a.port as number) < 1 || (a.port as number) > 65535)) throw new SetupError(`--port must be 1-65535, not ${String(a.port)}`, 2);
      if (a.send !== undefined && String(a.send).trim() === '') throw new SetupError('--send needs a non-empty text', 2);
      if (!((a['idle-timeout'] as number) > 0)) throw new SetupError('--idle-timeout must be a positive number of seconds', 2);
      return true;
    });
  const argv = await parseCli(parser);
  const code = await runChatCli({
    host: argv.host, port: argv.port as number | undefined, ca: argv.ca, cert: argv.cert, key: argv.key, user: argv.user,
    passwordFile: argv['password-file'], send: argv.send, json: argv.json, idleTimeout: argv['idle-timeout'] as number,
    bell: argv.bell as BellMode,
  }, process.env);
  process.exit(code);
} catch (e) {
  reportAndExit(NAME, e);
}
