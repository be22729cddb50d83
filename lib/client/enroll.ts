// `chat-cli enroll <code>`: joins a chatd with an invite code. The server is authenticated by the CA
// fingerprint in the code BEFORE anything is sent: the CA in enroll_hello must hash to it, and the
// server's TLS certificate must be signed by that CA and name the host. The key is made here and
// never leaves this machine; only a CSR and the new password go to the server, over that checked
// connection. Then the profile directory is written, and plain `chat-cli` connects with it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { describeError } from '../cli.js';
import { SetupError } from '../errors.js';
import { LineDecoder } from '../protocol/jsonl.js';
import { isInteractive, promptHidden } from '../prompt.js';
import { caFingerprint, decodeInvite, parseHostPort, pemBlocks } from '../enroll/invite.js';
import { enrollPasswordProblem } from '../auth/policy.js';
import { ENROLL_ALPN } from '../protocol/frames.js';
import { newKeyAndCsr } from './keys.js';
import { issuedCertProblem } from './renew.js';
import { clean } from './link-errors.js';
import { PROFILE_FILE, profileDir, writeAtomic, type Profile } from './profile.js';

export type EnrollArgs = { code: string; host?: string; port?: number; dir?: string; passwordFile?: string };

const DEFAULT_PORT = 7443;
const STEP_TIMEOUT_MS = 15_000;

async function newPassword(args: EnrollArgs, user: string, env: NodeJS.ProcessEnv): Promise<string> {
  let pw: string;
  if (args.passwordFile) {
    try { pw = fs.readFileSync(args.passwordFile, 'utf8').split(/\r?\n/)[0] ?? ''; } catch (e) {
      throw new SetupError(`cannot read --password-file: ${describeError(e as NodeJS.ErrnoException)}`);
    }
  } else if (env.CHATD_PASSWORD) {
    pw = env.CHATD_PASSWORD;
  } else if (isInteractive()) {
    process.stderr.write(`choose the password for ${user}: at least 10 characters, not your name; a few words are best\n`);
    pw = await promptHidden('new password: ');
    if (await promptHidden('repeat it: ') !== pw) throw new SetupError('the two passwords differ; nothing was sent', 2);
  } else {
    throw new SetupError('no password: set CHATD_PASSWORD or pass --password-file (stdin is not a terminal, so there is no prompt)', 2);
  }
  const problem = enrollPasswordProblem(pw, user);
  if (problem) throw new SetupError(`${problem}; nothing was sent`, 2);
  return pw;
}

/** id-kp-serverAuth (RFC 5280 4.2.1.12): what a TLS server's certificate is for. */
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** Why the server's certificate is not the one the invite vouches for, or null when it is. */
export function serverProblem(peer: crypto.X509Certificate | undefined, caPem: string, host: string, now = Date.now()): string | null {
  if (!peer) return 'the server showed no certificate';
  const cas = pemBlocks(caPem).map((p) => new crypto.X509Certificate(p));
  if (!cas.some((ca) => peer.checkIssued(ca) && peer.verify(ca.publicKey))) return 'its certificate is not signed by the invite\'s CA';
  if (Date.parse(peer.validFrom) > now || Date.parse(peer.validTo) < now) return 'its certificate is not valid now';
  // Signed by that CA is not enough: it signs every user's client certificate too (CN = the login
  // name, no SAN), and checkHost falls back to the CN, so a user named like the server's host
  // (`localhost`, `chat.example.org`) held a certificate that passed here, and could pose as the
  // server to collect invitees' tokens and new passwords. OpenSSL's own check, on a connection it
  // verifies, refuses it for its purpose; so does this one: a server's certificate, not a CA's.
  if (peer.ca) return 'its certificate is a CA\'s, not a server\'s';
  if (peer.keyUsage && !peer.keyUsage.includes(SERVER_AUTH)) return 'its certificate is not for a server (no serverAuth)';
  const named = net.isIP(host) ? peer.checkIP(host) : peer.checkHost(host);
  if (!named) return `its certificate does not name ${host}`;
  return null;
}

/** Runs the exchange; resolves with the enrolled frame's certificate. */
function exchange(host: string, port: number, fp: string, frame: (caPem: string) => object): Promise<{ cert: string; caPem: string }> {
  return new Promise((resolve, reject) => {
    // The server is checked below against the invite, not against any CA of this machine.
    const s = tls.connect({ host, port, ALPNProtocols: [ENROLL_ALPN], rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) });
    let caPem: string | null = null;
    let settled = false;
    const fail = (msg: string) => { if (settled) return; settled = true; clearTimeout(t); s.destroy(); reject(new SetupError(msg)); };
    const t = setTimeout(() => fail(`no answer from ${host}:${port} within ${STEP_TIMEOUT_MS / 1000} s`), STEP_TIMEOUT_MS);
    const decoder = new LineDecoder(1024 * 1024, (line) => {
      let f: Record<string, unknown>;
      try { f = JSON.parse(line); } catch { return fail(`${host}:${port} is not a chatd (it sent something else); nothing was sent`); }
      // `null`, a number, an array: valid JSON, no frame (f.type of null was a TypeError and a stack trace).
      if (!f || typeof f !== 'object' || Array.isArray(f)) return fail(`${host}:${port} is not a chatd (it sent something else); nothing was sent`);
      if (caPem === null) {
        if (f.type === 'error') return fail(`${clean(f.code)}: ${clean(f.message)}`);
        if (f.type !== 'enroll_hello' || typeof f.ca !== 'string') return fail(`${host}:${port} did not greet as a chatd enrollment; nothing was sent`);
        let got: string;
        try { got = caFingerprint(f.ca); } catch { return fail('the server sent no CA certificate; nothing was sent'); }
        if (got !== fp) return fail(`the server's CA (fingerprint ${got}) is not the one of the invite (${fp}); nothing was sent: check the address, or ask for a new invite`);
        const problem = serverProblem(s.getPeerX509Certificate(), f.ca, host);
        if (problem) return fail(`${host}:${port} is not the server of the invite: ${problem}; nothing was sent`);
        // Only the blocks the fingerprint covers are kept (the PEM as sent when it holds nothing else):
        // OpenSSL also trusts "X509 CERTIFICATE" and "TRUSTED CERTIFICATE" blocks, which the
        // fingerprint leaves out, so they could add a CA of the server's choosing to what this profile
        // trusts from now on.
        const blocks = pemBlocks(f.ca);
        caPem = blocks.reduce((rest, b) => rest.replace(b, ''), f.ca).trim() === '' ? f.ca : blocks.join('\n') + '\n';
        s.write(JSON.stringify(frame(caPem)) + '\n');
        return;
      }
      if (f.type === 'enrolled' && typeof f.cert === 'string') { settled = true; clearTimeout(t); s.end(); resolve({ cert: f.cert, caPem }); return; }
      if (f.type === 'error') return fail(`${clean(f.code) || 'INTERNAL'}: ${clean(f.message)}`);
      fail('unexpected answer from the server');
    }, () => fail('the server sent an over-long line'));
    s.on('data', (d: Buffer) => decoder.push(d));
    s.on('secureConnect', () => {
      if (s.alpnProtocol !== ENROLL_ALPN) fail(`${host}:${port} does not offer enrollment (no ${ENROLL_ALPN}); nothing was sent`);
    });
    s.on('error', (e: NodeJS.ErrnoException) => fail(`cannot enroll at ${host}:${port}: ${describeError(e)}`));
    s.on('close', () => fail(`${host}:${port} closed the connection`));
  });
}

/** `chat-cli enroll`; resolves with the exit code. */
export async function runEnroll(args: EnrollArgs, env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  const invite = decodeInvite(args.code);
  const fromCode = invite.s ? parseHostPort(invite.s) : null;
  const host = args.host ?? fromCode?.host;
  if (!host) throw new SetupError('the invite names no server: give --host (and --port)', 2);
  const port = args.port ?? fromCode?.port ?? DEFAULT_PORT;
  const dir = path.resolve(args.dir ?? profileDir(env));
  const user = invite.u;
  const password = await newPassword(args, user, env);
  const { keyPem, csrPem } = await newKeyAndCsr(user);
  const { cert, caPem } = await exchange(host, port, invite.fp, () => ({ type: 'enroll', id: 1, user, token: invite.t, csr: csrPem, password }));
  // The same checks as a renewal's: a profile with a certificate that cannot log in is no profile.
  const problem = issuedCertProblem(cert, user, keyPem, caPem);
  if (problem) throw new SetupError(`${problem}; nothing was saved (the invite is used: ask for a new one)`);
  const x = new crypto.X509Certificate(cert);

  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const profile: Profile = { host, port, user, ca: path.join(dir, 'ca.crt'), cert: path.join(dir, `${user}.crt`), key: path.join(dir, `${user}.key`) };
  writeAtomic(profile.key, keyPem, 0o600);
  writeAtomic(profile.cert, x.toString(), 0o644); // as parsed: nothing the server sent around it
  writeAtomic(profile.ca, caPem, 0o644);
  writeAtomic(path.join(dir, PROFILE_FILE), JSON.stringify(profile, null, 2) + '\n', 0o644);
  out(`enrolled as ${user} on ${host}:${port}; certificate valid until ${new Date(x.validTo).toISOString()}\n`);
  out(`profile written to ${dir}; connect with: chat-cli\n`);
  return 0;
}
