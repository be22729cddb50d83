// Enrollment and renewal on the server: checks an invite, a CSR and a new password, signs the
// user's certificate with the CA key (node-forge), and records it. The order of checks leaks
// nothing: the attempt is counted first, then the token (every way it can be wrong is the same
// ENROLL_INVALID after the same one lookup), and only a valid token's holder learns about the CSR
// and the password. Tokens and passwords never reach a log line or audit_log.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { PeerCert } from '../auth/peer.js';
import type forge from 'node-forge';
import type { Config } from '../config.js';
import { ChatdError, SetupError } from '../errors.js';
import type { Logger } from '../log.js';
import { normalizeUsername } from '../sanitize.js';
import type { Store } from '../store/index.js';
import { signClientKey, type CertKeyPair } from '../auth/certs.js';
import { hashPassword, PoolBusyError } from '../auth/password.js';
import { enrollPasswordProblem } from '../auth/policy.js';
import { checkCsr } from './csr.js';
import { pemBlocks, tokenHash } from './invite.js';
import { addressKey } from '../address-key.js';
import { AttemptWindow } from './attempts.js';

export type Issued = { cert: string; not_after: string };
export type EnrollRequest = { ip: string; user: unknown; token: unknown; csr: unknown; password: unknown };

/** The audit actor of enrollment attempts (their user is not logged in, and may not exist). */
export const ENROLL_ACTOR = 'enroll';

/** Certificate fingerprints a node remembers having recorded (EnrollService.recorded). */
const RECORDED_MAX = 10_000;

/**
 * Reads --ca-key and picks the certificate of --ca it belongs to (the CA file may be a bundle: an
 * intermediate that signs, with its root). forge signs with RSA keys only.
 */
export function loadCaKey(caFile: string, keyFile: string): CertKeyPair {
  let keyPem: string;
  try { keyPem = fs.readFileSync(keyFile, 'utf8'); } catch (e) {
    throw new SetupError(`cannot read --ca-key file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let key: crypto.KeyObject;
  try { key = crypto.createPrivateKey(keyPem); } catch { throw new SetupError(`--ca-key ${keyFile} is not a private key (PEM)`); }
  if (key.asymmetricKeyType !== 'rsa') throw new SetupError(`--ca-key ${keyFile}: only RSA CA keys can sign client certificates`);
  const certs = pemBlocks(fs.readFileSync(caFile, 'utf8'));
  const certPem = certs.find((c) => new crypto.X509Certificate(c).checkPrivateKey(key));
  if (!certPem) throw new SetupError(`--ca-key ${keyFile} does not belong to any certificate in --ca ${caFile}`);
  return { certPem, keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** What renewal checks of the certificate it renews: its end (ms) and its RSA modulus in hex. */
export type RenewedCert = { validTo: number; modulus: string | null };

/** Two hex numbers are equal (either case, leading zeros or not: OpenSSL's and forge's spellings). */
function sameHex(a: string, b: string): boolean {
  const strip = (h: string) => h.toLowerCase().replace(/^0+/, '');
  return strip(a) === strip(b);
}

export class EnrollService {
  private readonly attempts: AttemptWindow;
  /**
   * Certificates of this process's logins already in the certificates table (or put there), the most
   * recently used last: a cache of what the table knows, so that a login does not write its
   * certificate again. At most recordedMax: kept for good, every certificate ever renewed (one user
   * renewing at the allowed rate adds 1,440 a day) stayed for the life of the process. One forgotten
   * is written again at its next login, which the table ignores.
   */
  private readonly recorded = new Set<string>();
  private recordedMax = RECORDED_MAX; // a spec lowers it

  constructor(
    private readonly db: Store, private readonly config: Config, private readonly log: Logger,
    /** The CA certificate(s) clients are told to trust (the --ca file), sent in enroll_hello. */
    private caFilePem: string,
    private ca: CertKeyPair | null,
    /** Forgets a login name's failures and lock in the login counters (this node's memory, or Redis). */
    private readonly clearLoginFailures: (name: string) => Promise<void> = async () => {},
  ) {
    this.attempts = new AttemptWindow(() => config.enroll.attemptsPerIp, () => config.enroll.attemptsWindowMs);
  }

  get enabled(): boolean { return this.ca !== null; }

  /** What enroll_hello sends: the CA file as the listener read it last. */
  get caPem(): string { return this.caFilePem; }

  /**
   * SIGHUP, after the listener took the CA file again: the hello and the signing key follow it, or an
   * enrollment after a CA rotation would name the old CA (chat-cli refuses the new invites) and sign
   * certificates the listener no longer trusts. Both are read before either changes: a CA key that
   * belongs to no certificate of the new file throws and the old pair stays.
   */
  reload(caFile: string, caKeyFile: string | undefined): void {
    const caPem = fs.readFileSync(caFile, 'utf8');
    const ca = this.ca && caKeyFile ? loadCaKey(caFile, caKeyFile) : this.ca;
    this.caFilePem = caPem;
    this.ca = ca;
  }

  /** One enrollment attempt, audited whatever its outcome. */
  async enroll(req: EnrollRequest): Promise<Issued> {
    const name = typeof req.user === 'string' ? normalizeUsername(req.user) : null;
    let outcome = 'ok';
    const limited = this.attempts.hit(addressKey(req.ip, this.config.limits.ipv6PrefixLength));
    try {
      if (!this.ca) throw new ChatdError('ENROLL_DISABLED');
      if (limited) throw new ChatdError('RATE_LIMITED', 'too many enrollment attempts from your address; try again later');
      return await this.issue(req, name);
    } catch (e) {
      outcome = e instanceof ChatdError ? e.code : 'INTERNAL';
      throw e;
    } finally {
      // A flood from one address is audited and logged once per window, not once per attempt.
      if (limited !== 'again') {
        this.db.audit({ actor: ENROLL_ACTOR, action: 'enroll', target: name, detail: `${outcome} from ${req.ip}` })
          .catch((e) => this.log.warn('could not audit an enrollment', { err: (e as Error).message }));
        this.log.info('enrollment attempt', { user: name, remote: req.ip, result: outcome });
      }
    }
  }

  private async issue(req: EnrollRequest, name: string | null): Promise<Issued> {
    const invalid = () => new ChatdError('ENROLL_INVALID');
    if (!name || typeof req.token !== 'string' || req.token.length > 128) throw invalid();
    const now = Date.now();
    const invite = await this.db.inviteByTokenHash(tokenHash(req.token));
    if (!invite || invite.user !== name || invite.usedAt !== null || invite.revokedAt !== null || invite.expiresAt <= now) throw invalid();
    const csr = checkCsr(req.csr, name);
    if (typeof req.password !== 'string') throw new ChatdError('WEAK_PASSWORD', 'password missing');
    const problem = enrollPasswordProblem(req.password, name);
    if (problem) throw new ChatdError('WEAK_PASSWORD', problem);
    let passwordHash: string;
    try {
      passwordHash = await hashPassword(req.password, this.config.password);
    } catch (e) {
      if (e instanceof PoolBusyError) throw new ChatdError('SERVICE_UNAVAILABLE', 'too many password checks at once; try again shortly');
      throw e;
    }
    const { pem, record } = this.sign(csr.publicKey, name, 'enroll');
    const done = await this.db.completeEnrollment({
      inviteId: invite.id, user: name, role: invite.role, existing: invite.existing, passwordHash, cert: record, now,
    });
    if (!done) throw invalid(); // another attempt used the token first, or the name was taken meanwhile
    this.remember(record.fingerprint);
    // A re-enrollment sets a new password: the lock the old one's failures earned must not keep the
    // user out of it (the database's copy went with the enrollment's transaction).
    if (invite.existing) await this.clearLoginFailures(name).catch((e) => this.log.warn('login lock not cleared', { user: name, err: (e as Error).message }));
    return { cert: pem, not_after: new Date(record.notAfter).toISOString() };
  }

  /**
   * `renew` of a logged-in session: a new certificate for a new key of the same user. It renews the
   * certificate the session logged in with (`fingerprint`): a session without one (--client-cert
   * optional) would turn a password alone into a certificate, which only an invite grants; and one
   * whose certificate was revoked (a stolen key, a re-enrollment) is still open until the poller
   * closes it, which must not be time enough to get a fresh certificate that no revocation covers.
   * `current`: that certificate's end and RSA modulus (hex), as the session's socket has them.
   */
  async renew(user: string, csrPem: unknown, ip: string, fingerprint: string | null, current: RenewedCert | null = null): Promise<Issued> {
    if (!this.ca) throw new ChatdError('ENROLL_DISABLED');
    if (!fingerprint) throw new ChatdError('FORBIDDEN', 'renewal is for a session that logged in with a client certificate; ask an operator for an invite');
    if (this.attempts.hit(`renew:${user}`)) throw new ChatdError('RATE_LIMITED', 'too many renewals; try again later');
    // A resumed TLS session logs in with a certificate that expired since its ticket was issued
    // (SECURITY.md: up to the ticket's lifetime); renewing it turned that grace into a new 90 days.
    if (current && !(current.validTo > Date.now())) {
      throw new ChatdError('FORBIDDEN', 'this certificate has expired; a renewal needs one that is still valid: ask an operator for an invite');
    }
    const csr = checkCsr(csrPem, user);
    // DESIGN: a new key each time. The same key renewed again and again is a key that never retires,
    // however long it may have been exposed.
    if (current?.modulus && sameHex(current.modulus, csr.publicKey.n.toString(16))) {
      throw new ChatdError('BAD_CSR', 'a renewal needs a new key; this one is the key of the certificate being renewed');
    }
    if (await this.db.isRevoked(fingerprint)) throw new ChatdError('CERT_REVOKED');
    const { pem, record } = this.sign(csr.publicKey, user, 'renew');
    await this.db.recordCertificate(record);
    this.remember(record.fingerprint);
    // A revocation that landed while this one was recorded (a re-enrollment revokes the certificates
    // it finds then, which may not yet include this one): the new certificate goes with the old.
    if (await this.db.isRevoked(fingerprint)) {
      await this.db.revokeCert(record.fingerprint, ENROLL_ACTOR, `renewed from revoked ${fingerprint}`);
      throw new ChatdError('CERT_REVOKED');
    }
    await this.db.audit({ actor: user, action: 'cert.renew', target: user, detail: `${record.fingerprint} from ${ip}` });
    return { cert: pem, not_after: new Date(record.notAfter).toISOString() };
  }

  /** `fp` is in the table: remembered as the most recently used, the oldest forgotten beyond recordedMax. */
  private remember(fp: string): void {
    this.recorded.delete(fp);
    this.recorded.add(fp);
    while (this.recorded.size > this.recordedMax) this.recorded.delete(this.recorded.values().next().value as string);
  }

  private sign(publicKey: forge.pki.rsa.PublicKey, user: string, source: 'enroll' | 'renew') {
    const pem = signClientKey(this.ca!, publicKey, user, this.config.enroll.certDays);
    const x = new crypto.X509Certificate(pem);
    return {
      pem,
      record: { user, fingerprint: x.fingerprint256, serial: x.serialNumber.toLowerCase(), notAfter: Date.parse(x.validTo), issuedAt: Date.now(), source },
    };
  }

  /**
   * After a login with a certificate: one chatd did not sign (chat-certs, npm start) is recorded once,
   * so `chat-admin cert list` shows it and a re-enrollment can revoke it; and without a CA key the
   * user is warned when it runs out soon, since nothing will renew it.
   */
  afterLogin(user: string, peer: PeerCert | null): string | undefined {
    if (!peer || !peer.fingerprint) return undefined;
    const fp = peer.fingerprint;
    const notAfter = Date.parse(peer.validTo);
    const known = this.recorded.has(fp);
    this.remember(fp);
    if (!known) {
      this.db.recordCertificate({ user, fingerprint: fp, serial: peer.serial.toLowerCase(), notAfter, issuedAt: Date.parse(peer.validFrom), source: 'chat-certs' })
        .catch((e) => { this.recorded.delete(fp); this.log.warn('could not record a certificate', { user, err: (e as Error).message }); });
    }
    if (this.ca || !Number.isFinite(notAfter)) return undefined;
    const left = notAfter - Date.now();
    if (left > this.config.enroll.warnDays * 86_400_000) return undefined;
    return `your certificate expires ${new Date(notAfter).toISOString()} and this server cannot renew it: ask an operator for an invite (chat-admin invite add ${user} --existing)`;
  }
}
