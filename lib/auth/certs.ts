// The certificates of chatd's mutual TLS: a private CA, a server certificate with SANs for every
// name and address clients dial, and one client certificate per user (CN = login name, which
// --cert-binding cn checks). Used by chat-certs and by `npm start` for dev certificates.
//
// node-forge builds and signs the certificates; node:crypto generates the RSA keys, because
// forge's pure-JS prime search takes seconds per 2048-bit key where OpenSSL takes ~50 ms, and
// node:crypto also reads certificates back (certInfo), so fingerprints are exactly what a TLS
// socket's getPeerCertificate().fingerprint256 reports and `show` works on non-RSA certificates
// that forge cannot parse. Keys are RSA 2048 only: forge cannot sign with EC keys.
import { normalizeUsername } from '../sanitize.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type forge from 'node-forge';
import { nodeForge } from '../forge.js';
import { SetupError } from '../errors.js';

const generateKeyPair = promisify(crypto.generateKeyPair);

/** A certificate and its private key, both PEM. */
export interface CertKeyPair {
  certPem: string;
  keyPem: string;
}

export interface CAOptions {
  /** Common name of the CA (default "chatd CA"). */
  cn?: string;
  /** Validity in days (default 3650). */
  days?: number;
}

export interface LeafOptions {
  /** Validity in days (default 825, the longest that Apple platforms accept for TLS server certificates). */
  days?: number;
}

export interface CertInfo {
  /** e.g. "CN=alice"; several RDNs are joined with ", ". */
  subject: string;
  cn: string | null;
  issuer: string;
  /** Uppercase colon-separated SHA-256, as TLSSocket#getPeerCertificate().fingerprint256. */
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
  /** e.g. ["DNS:localhost", "IP Address:127.0.0.1"]. */
  sans: string[];
  isCA: boolean;
}

export const CA_DAYS = 3650;
/**
 * The longest validity chatd writes (100 years). Past the year 9999 a certificate's notAfter cannot
 * be encoded: chat-certs wrote a broken certificate and said it was fine.
 */
export const MAX_CERT_DAYS = 36_500;
export const LEAF_DAYS = 825;
const RSA_BITS = 2048;
/** Certificates start a little in the past so that a peer whose clock lags still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;

/**
 * The cutoff that refuses every certificate chatd's tools made before `t` (ms) and none made after:
 * they all start BACKDATE_MS before they were made, to the second (a certificate's notBefore has no
 * finer unit). One made in the same second as `t` passes. Table cert_cutoffs (migration 011).
 */
export function certCutoff(t: number): number {
  return Math.floor((t - BACKDATE_MS) / 1000) * 1000;
}
const DNS_NAME_RE = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

// ---------------------------------------------------------------------------------------------
// Building certificates

/** Creates a self-signed CA that may sign certificates (and CRLs) but nothing else. */
export async function createCA(opts: CAOptions = {}): Promise<CertKeyPair> {
  const { key, keyPem } = await newRsaKey();
  const subject = [{ shortName: 'CN', value: opts.cn ?? 'chatd CA' }];
  const cert = newCert(key, subject, opts.days ?? CA_DAYS);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const { pki, md } = nodeForge();
  cert.sign(pki.privateKeyFromPem(keyPem), md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem };
}

/** A server certificate: CN = the first host, a SAN for every host (DNS names and IP literals). */
export async function createServerCert(ca: CertKeyPair, hosts: string[], opts: LeafOptions = {}): Promise<CertKeyPair> {
  const names = normalizeHosts(hosts);
  return issueLeaf(ca, names[0]!, opts, [
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map(altName) },
  ]);
}

/** A client certificate for one user: CN = the login name, usable only for TLS client auth. */
export async function createClientCert(ca: CertKeyPair, name: string, opts: LeafOptions = {}): Promise<CertKeyPair> {
  return issueLeaf(ca, name, opts, CLIENT_USAGE);
}

/**
 * A PKCS#12 bundle (key, certificate, CA) for browsers and OS key stores. 3DES rather than forge's
 * AES default: older Windows and macOS key stores reject AES-encrypted bundles, OpenSSL 3 and
 * Node read both.
 */
export function toP12(certPem: string, keyPem: string, caPem: string, password = ''): Buffer {
  const { pki, pkcs12, asn1 } = nodeForge();
  const bundle = pkcs12.toPkcs12Asn1(
    pki.privateKeyFromPem(keyPem),
    [pki.certificateFromPem(certPem), pki.certificateFromPem(caPem)],
    password,
    { algorithm: '3des', friendlyName: commonNameOf(certPem) ?? undefined },
  );
  return Buffer.from(asn1.toDer(bundle).getBytes(), 'binary');
}

const CLIENT_USAGE = [
  { name: 'keyUsage', digitalSignature: true, critical: true },
  { name: 'extKeyUsage', clientAuth: true },
];

/**
 * A client certificate for a public key made on the user's machine (enrollment, renewal): CN = the
 * login name, clientAuth only, `days` valid. The CA is the one of `ca.certPem` whose key is `ca.keyPem`.
 */
export function signClientKey(ca: CertKeyPair, publicKey: RsaPublic, name: string, days: number): string {
  return nodeForge().pki.certificateToPem(signLeaf(ca, publicKey, name, days, CLIENT_USAGE));
}

async function issueLeaf(ca: CertKeyPair, cn: string, opts: LeafOptions, usage: object[]): Promise<CertKeyPair> {
  const { key, keyPem } = await newRsaKey();
  return { certPem: nodeForge().pki.certificateToPem(signLeaf(ca, key, cn, opts.days ?? LEAF_DAYS, usage)), keyPem };
}

function signLeaf(ca: CertKeyPair, key: RsaPublic, cn: string, days: number, usage: object[]): forge.pki.Certificate {
  const { pki, md } = nodeForge();
  const caCert = pki.certificateFromPem(ca.certPem);
  const cert = newCert(key, [{ shortName: 'CN', value: cn }], days);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    ...usage,
    { name: 'subjectKeyIdentifier' },
    // forge's `keyIdentifier: true` would use the leaf's own key, so pass the CA's identifier.
    { name: 'authorityKeyIdentifier', keyIdentifier: caKeyIdentifier(caCert) },
  ]);
  cert.sign(pki.privateKeyFromPem(ca.keyPem), md.sha256.create());
  return cert;
}

/** What a certificate needs of an RSA key: its public half (a private key has it too). */
type RsaPublic = { n: forge.jsbn.BigInteger; e: forge.jsbn.BigInteger };

/** An unsigned certificate with public key, random serial, subject and validity filled in. */
function newCert(key: RsaPublic, subject: forge.pki.CertificateField[], days: number): forge.pki.Certificate {
  if (!Number.isInteger(days) || days < 1 || days > MAX_CERT_DAYS) throw new RangeError(`validity must be a whole number of days from 1 to ${MAX_CERT_DAYS}, got ${days}`);
  const { pki } = nodeForge();
  const cert = pki.createCertificate();
  cert.publicKey = pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = randomSerial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + days * 86_400_000);
  cert.setSubject(subject);
  return cert;
}

/** A native RSA key (see the header for why not forge's), as PKCS#8 PEM and as a forge key. */
async function newRsaKey(): Promise<{ key: forge.pki.rsa.PrivateKey; keyPem: string }> {
  const { privateKey } = await generateKeyPair('rsa', {
    modulusLength: RSA_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { key: nodeForge().pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey, keyPem: privateKey };
}

/**
 * 16 random bytes as a positive DER INTEGER (RFC 5280 §4.1.2.2): the top bit cleared so it is not
 * negative, and a nonzero first byte, because forge writes the bytes as they are and a leading
 * zero would be a non-minimal encoding that strict parsers reject.
 */
function randomSerial(): string {
  const b = crypto.randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function caKeyIdentifier(caCert: forge.pki.Certificate): string {
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  return ski?.subjectKeyIdentifier
    ? nodeForge().util.hexToBytes(ski.subjectKeyIdentifier)
    : caCert.generateSubjectKeyIdentifier().getBytes();
}

/** SAN entry: type 7 (iPAddress) for v4/v6 literals, else type 2 (dNSName). */
function altName(host: string): { type: number; value?: string; ip?: string } {
  return net.isIP(host) ? { type: 7, ip: host } : { type: 2, value: host };
}

/**
 * Hosts as certificate names: trimmed, lowercased, IPv6 brackets removed, duplicates dropped.
 * Anything that is neither an IP literal nor a DNS name (wildcards allowed) is a usage error.
 */
export function normalizeHosts(hosts: string[]): string[] {
  const names = [...new Set(hosts.map((h) => h.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')).filter(Boolean))];
  if (names.length === 0) throw new SetupError('give at least one host name or address for the server certificate', 2);
  const bad = names.find((h) => !net.isIP(h) && !(h.length <= 253 && DNS_NAME_RE.test(h)));
  if (bad !== undefined) throw new SetupError(`not a host name or IP address: ${JSON.stringify(bad)}`, 2);
  return names;
}

/** A client certificate's name as a login name, lowercased, or a usage error. */
export function normalizeClientName(name: string): string {
  // A client certificate's CN is a login name: the one username rule of lib/sanitize.ts.
  const user = normalizeUsername(name);
  if (!user) {
    throw new SetupError(`invalid client name ${JSON.stringify(name)}: use 2-32 of a-z 0-9 _ . - starting with a letter or digit`, 2);
  }
  return user;
}

// ---------------------------------------------------------------------------------------------
// Reading certificates

/** What `chat-certs show` prints, read with node:crypto (PEM or DER; the first certificate of a bundle). */
export function certInfo(pem: string | Buffer): CertInfo {
  const x = parseX509(pem);
  return {
    subject: oneLineName(x.subject),
    cn: commonNameOf(x),
    issuer: oneLineName(x.issuer),
    fingerprint256: x.fingerprint256,
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    sans: splitSans(x.subjectAltName),
    isCA: x.ca,
  };
}

/** The SHA-256 fingerprint that chatd records for a client (bans, revocations). */
export function fingerprintOfPem(pem: string | Buffer): string {
  return parseX509(pem).fingerprint256;
}

function parseX509(pem: string | Buffer): crypto.X509Certificate {
  try {
    return new crypto.X509Certificate(pem);
  } catch {
    throw new SetupError('not an X.509 certificate (PEM or DER)');
  }
}

/** Node separates RDNs with newlines; one line reads better and keeps `show` to one line per key. */
function oneLineName(name: string): string {
  return name.split('\n').join(', ');
}

/**
 * The CN values of a subject as X509Certificate#subject prints it: one attribute per line, and
 * control and RFC 2253 special characters escaped (a CN holding "\nCN=admin" stays one line, its
 * backslash no login name has). A multi-valued RDN shares a line ("CN=a + CN=b"): one value that is
 * no login name either.
 */
function commonNames(subject: string): string[] {
  return subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
}

function commonNameOf(cert: string | crypto.X509Certificate): string | null {
  const x = typeof cert === 'string' ? parseX509(cert) : cert;
  return commonNames(x.subject)[0] ?? null;
}

/** "DNS:a, IP Address:1.2.3.4" → entries; Node quotes values that contain commas, so split outside quotes. */
function splitSans(san: string | undefined): string[] {
  return san ? (san.match(/(?:[^,"]|"(?:\\.|[^"\\])*")+/g) ?? []).map((s) => s.trim()).filter(Boolean) : [];
}

// ---------------------------------------------------------------------------------------------
// The certificate directory of DESIGN.md

/** Where the CA and server files live in a certificate directory. */
export function certPaths(dir: string): { caCert: string; caKey: string; serverCert: string; serverKey: string } {
  return {
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
  };
}

/** Where one user's client files live (the name must already be normalized). */
export function clientPaths(dir: string, name: string): { cert: string; key: string; p12: string } {
  const base = path.join(dir, 'clients', name);
  return { cert: `${base}.crt`, key: `${base}.key`, p12: `${base}.p12` };
}

export interface InitOptions {
  force?: boolean;
  /** Validity of the server certificate (the CA gets CA_DAYS). */
  days?: number;
  caName?: string;
}

/** Creates ca.crt/ca.key and server.crt/server.key in dir; returns the paths written. */
export async function initCertDir(dir: string, hosts: string[], opts: InitOptions = {}): Promise<string[]> {
  const names = normalizeHosts(hosts);
  const p = certPaths(dir);
  refuseExisting([p.caCert, p.caKey, p.serverCert, p.serverKey], opts.force);
  const ca = await createCA({ cn: opts.caName });
  const server = await createServerCert(ca, names, { days: opts.days });
  return [
    ...writePair(ca, p.caCert, p.caKey, opts.force),
    ...writePair(server, p.serverCert, p.serverKey, opts.force),
  ];
}

export interface ClientOptions {
  force?: boolean;
  days?: number;
  /** Also write <name>.p12 (key, certificate and CA). */
  p12?: boolean;
  p12Password?: string;
}

/** Issues clients/<name>.crt/.key (and .p12) signed by the CA in dir; returns the paths written. */
export async function issueClientCert(dir: string, name: string, opts: ClientOptions = {}): Promise<string[]> {
  const user = normalizeClientName(name);
  const p = clientPaths(dir, user);
  const ca = loadCA(dir);
  refuseExisting(opts.p12 ? [p.cert, p.key, p.p12] : [p.cert, p.key], opts.force);
  const client = await createClientCert(ca, user, { days: opts.days });
  const written = writePair(client, p.cert, p.key, opts.force);
  if (opts.p12) {
    writeFile(p.p12, toP12(client.certPem, client.keyPem, ca.certPem, opts.p12Password ?? ''), SECRET_MODE, opts.force);
    written.push(p.p12);
  }
  return written;
}

/** Reads the CA of a certificate directory and checks that its key belongs to its certificate. */
export function loadCA(dir: string): CertKeyPair {
  const p = certPaths(dir);
  if (!fs.existsSync(p.caCert) || !fs.existsSync(p.caKey)) {
    throw new SetupError(`no CA in ${dir}; run chat-certs init first`);
  }
  const ca = { certPem: fs.readFileSync(p.caCert, 'utf8'), keyPem: fs.readFileSync(p.caKey, 'utf8') };
  if (!parseX509(ca.certPem).checkPrivateKey(crypto.createPrivateKey(ca.keyPem))) {
    throw new SetupError(`${p.caKey} does not belong to ${p.caCert}`);
  }
  return ca;
}

const SECRET_MODE = 0o600;
const PUBLIC_MODE = 0o644;

function writePair(pair: CertKeyPair, certPath: string, keyPath: string, force?: boolean): string[] {
  // Key first: a crash in between then leaves no certificate that looks usable without its key.
  writeFile(keyPath, pair.keyPem, SECRET_MODE, force);
  writeFile(certPath, pair.certPem, PUBLIC_MODE, force);
  return [certPath, keyPath];
}

/** Checks every target before anything is written, so a refusal never leaves half a set behind. */
function refuseExisting(paths: string[], force?: boolean): void {
  if (force) return;
  const existing = paths.find((f) => fs.existsSync(f));
  if (existing !== undefined) throw existsError(existing);
}

/**
 * Writes a fresh file with the given mode. An existing file (only with force) is unlinked first
 * rather than truncated, so a key never lands in an old file's looser mode, and 'wx' refuses to
 * follow a symlink planted at the path. chmod afterwards because the umask may strip bits.
 */
function writeFile(file: string, data: string | Buffer, mode: number, force?: boolean): void {
  // Not writable by others, whatever the umask: under umask 000 anyone could swap the files in it.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  if (force) fs.rmSync(file, { force: true });
  try {
    fs.writeFileSync(file, data, { mode, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(file);
    throw e;
  }
  fs.chmodSync(file, mode);
}

function existsError(file: string): SetupError {
  return new SetupError(`${file} exists; use --force to overwrite`);
}
