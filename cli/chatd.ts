#!/usr/bin/env node
// chatd: the server. `chatd --cert … --key … --ca …`, or `--dev` (what `npm start` runs): development
// certificates in ./certs, SQLite in ./data, and a bootstrap owner `admin` on first start.
import path from 'node:path';
import { cliParser, examples, parseCli, reportAndExit } from '../lib/cli.js';
import { buildConfig, loadConfigFile, type ConfigInput } from '../lib/config.js';
import { SetupError } from '../lib/errors.js';
import { hostPort, startChatd } from '../lib/app.js';
import { Logger, resolveLogFormat, type LogLevel } from '../lib/log.js';
import { prepareDev } from '../lib/dev.js';
import { certPaths } from '../lib/auth/certs.js';
import { stopWhenNpmWrapperExits } from '../lib/wrapper.js';
import type { TlsFiles } from '../lib/server.js';

const NAME = 'chatd';

async function main(): Promise<void> {
  const argv = await parseCli(cliParser(NAME)
    .usage('$0 --cert server.crt --key server.key --ca ca.crt [options]')
    .options({
      cert: { type: 'string', describe: 'server certificate (PEM)' },
      key: { type: 'string', describe: 'server private key (PEM)' },
      ca: { type: 'string', describe: 'CA that signs client certificates (PEM)' },
      'ca-key': { type: 'string', describe: 'the CA\'s private key: enables enrollment (chat-cli enroll) and renewal [default: off; --dev: certs/ca.key]' },
      host: { type: 'string', describe: 'address to listen on [default: 127.0.0.1]' },
      // A string coerced here: yargs-parser adds up a repeated number flag (--port 5 --port 1 → 6).
      port: { type: 'string', coerce: (v: string) => Number(v), describe: 'port; 0 picks a free one [default: 7443]' },
      db: { type: 'string', describe: 'sqlite:PATH or mysql://user:pass@host:3306/db [default: sqlite:./data/chatd.sqlite]' },
      bus: { type: 'string', describe: 'memory, or redis://host:6379 for several nodes [default: memory]' },
      prefix: { type: 'string', describe: 'command prefix [default: //]' },
      'client-cert': { choices: ['required', 'optional'] as const, describe: 'require a client certificate [default: required]' },
      'cert-binding': { choices: ['cn', 'none'] as const, describe: 'login name must equal the certificate CN [default: cn]' },
      'tls-min-version': { choices: ['TLSv1.3', 'TLSv1.2'] as const, describe: 'lowest TLS version [default: TLSv1.3]' },
      'node-name': { type: 'string', describe: 'this node\'s name in presence and connections [default: node1; with a Redis bus <hostname>-<port>]' },
      config: { type: 'string', describe: 'JSON config file (see chatd.example.json)' },
      migrate: { type: 'boolean', describe: 'apply pending migrations at start (--no-migrate to refuse instead)' },
      'log-level': { choices: ['debug', 'info', 'warn', 'error', 'silent'] as const, describe: 'stderr log level [default: info]' },
      'log-format': { choices: ['auto', 'json', 'text'] as const, describe: 'stderr log lines: JSON, or text for people [default: auto, text on a terminal]' },
      'irc-port': { type: 'string', coerce: (v: string) => Number(v), describe: 'also serve IRC clients over TLS on this port; 0 picks a free one [default: off]' },
      metrics: { type: 'string', describe: 'serve /metrics, /healthz, /readyz over HTTP on host:port (no client certificate: keep it on loopback) [default: off; --dev: 127.0.0.1:9464]' },
      'text-color': { choices: ['on', 'off'] as const, describe: 'colour for text-mode clients (openssl s_client); each may switch with //textcolor [default: off]' },
      dev: { type: 'boolean', default: false, describe: 'development setup: certs in ./certs, SQLite in ./data, bootstrap admin' },
    })
    .epilog(examples([
      ['serve on 127.0.0.1:7443 with SQLite', 'chatd --cert certs/server.crt --key certs/server.key --ca certs/ca.crt'],
      ['one node of several', ['chatd --cert certs/server.crt --key certs/server.key --ca certs/ca.crt', '--db mysql://chatd:pw@db:3306/chatd --bus redis://redis:6379']],
      ['a development setup (what npm start runs)', 'chatd --dev'],
    ]))
    );

  const flags: ConfigInput = {
    host: argv.host, port: argv.port, db: argv.db, bus: argv.bus, prefix: argv.prefix,
    clientCert: argv['client-cert'], certBinding: argv['cert-binding'], tlsMinVersion: argv['tls-min-version'],
    nodeName: argv['node-name'], migrate: argv.migrate, logLevel: argv['log-level'] as LogLevel | undefined, logFormat: argv['log-format'], metrics: argv.metrics, ircPort: argv['irc-port'],
    cert: argv.cert, key: argv.key, ca: argv.ca, caKey: argv['ca-key'],
    textColor: argv['text-color'] === undefined ? undefined : argv['text-color'] === 'on',
  };
  // npm start serves the operator's endpoints on loopback, as DESIGN's Operations section says, and
  // signs enrollments with the development CA's key. A layer of its own, so a SIGHUP reload keeps it.
  const devCerts = path.resolve('certs');
  const devDefaults: ConfigInput | undefined = argv.dev ? { metrics: '127.0.0.1:9464', caKey: certPaths(devCerts).caKey } : undefined;
  const config = buildConfig(devDefaults, argv.config ? loadConfigFile(argv.config) : undefined, flags);
  const log = new Logger(config.logLevel, undefined, resolveLogFormat(config.logFormat));
  // Until the reload handler below exists, a SIGHUP (log rotation's postrotate, a supervisor's
  // reload) would end chatd, Node's default, while it waits for its database or runs migrations.
  // There is nothing to reload yet: the files are read when the listener starts.
  const early = () => log.warn('SIGHUP before chatd listens; nothing to reload yet');
  process.on('SIGHUP', early);

  let files: TlsFiles;
  let after: ((port: number) => Promise<string[]>) | null = null;
  if (argv.dev) {
    const dev = await prepareDev(config, devCerts);
    files = dev.files;
    after = dev.bootstrap;
  } else {
    const missing = (['cert', 'key', 'ca'] as const).filter((k) => !config[k]);
    if (missing.length) throw new SetupError(`missing ${missing.map((m) => '--' + m).join(', ')} (or run \`npm start\` for a development setup)`, 2);
    files = { cert: config.cert!, key: config.key!, ca: config.ca! };
  }

  const chatd = await startChatd(config, files, log);
  const { address } = chatd;
  const lines = after ? await after(address.port) : [];

  // SIGHUP: new certificates, and the config file read again. Either one that fails validation
  // changes nothing (the running one stays, with a log line); flags still win over the file.
  process.off('SIGHUP', early);
  process.on('SIGHUP', () => {
    chatd.server.reload();
    chatd.irc?.reload();
    if (!argv.config) return;
    let next;
    try {
      next = buildConfig(devDefaults, loadConfigFile(argv.config), flags);
    } catch (e) {
      log.error('config reload refused; keeping the running configuration', { file: argv.config, err: (e as Error).message });
      return;
    }
    try { chatd.reconfigure(next); } catch (e) {
      log.error('config reload failed; keeping the running configuration', { file: argv.config, err: (e as Error).message });
    }
  });
  let stopping = false;
  let crashed = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { reason: sig });
    const hard = setTimeout(() => process.exit(1), config.limits.shutdownGraceMs + 2000);
    hard.unref();
    chatd.stop().then(() => process.exit(crashed ? 1 : 0), (e) => { log.error('shutdown failed', { err: String(e) }); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  stopWhenNpmWrapperExits(stop);
  // After an uncaught exception the process is in a state nobody reasoned about (a half-applied
  // change, a lock never released), so serving on would be worse than a restart: log it with its
  // stack, say bye SHUTDOWN and flush history as a normal stop does, then exit 1 for the supervisor
  // (systemd Restart=on-failure) to start a clean process. A second exception exits at once; a stop
  // that hangs is cut at SIGTERM's deadline; one during a SIGTERM stop still makes the exit status 1.
  // A rejection nobody handled is the same kind of bug and ends the same way.
  const crash = (what: string) => (e: unknown) => {
    log.error(`${what}; exiting`, { err: String((e as Error)?.stack ?? e) });
    if (crashed) process.exit(1);
    crashed = true;
    stopping = true;
    setTimeout(() => process.exit(1), config.limits.shutdownGraceMs + 2000);
    chatd.stop().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
  // Announced only now: whoever waits for "listening" may signal at once (a supervisor's reload, a
  // test's SIGHUP), and a SIGHUP before its handler exists would end the process (Node's default).
  process.stdout.write(`chatd listening on ${address.address}:${address.port}\n`);
  if (chatd.ircAddress) process.stdout.write(`chatd irc listening on ${chatd.ircAddress.address}:${chatd.ircAddress.port}\n`);
  if (chatd.ops) process.stdout.write(`metrics on http://${hostPort(chatd.ops)}/metrics (also /healthz, /readyz)\n`);
  for (const l of lines) process.stdout.write(l + '\n');
}

main().catch((e) => reportAndExit(NAME, e));
