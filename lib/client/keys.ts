// The user's key and certificate request, made on the user's machine (enrollment, renewal): the key
// never leaves it; only the request (public key, name, signature) goes to chatd.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type forge from 'node-forge';
import { nodeForge } from '../forge.js';

const generateKeyPair = promisify(crypto.generateKeyPair);

/** RSA 2048: what chatd requires at least, and what node-forge on the server can sign for. */
export const KEY_BITS = 2048;

export type KeyAndCsr = { keyPem: string; csrPem: string };

/** A fresh RSA key (node:crypto, ~50 ms where forge takes seconds) and a CSR for CN = user signed with it. */
export async function newKeyAndCsr(user: string, bits = KEY_BITS): Promise<KeyAndCsr> {
  const { privateKey } = await generateKeyPair('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyPem: privateKey, csrPem: csrFor(privateKey, user) };
}

/** A PKCS#10 request for CN = user, signed with the given RSA private key (PEM). */
export function csrFor(keyPem: string, user: string): string {
  const { pki, md } = nodeForge();
  const key = pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const csr = pki.createCertificationRequest();
  csr.publicKey = pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ shortName: 'CN', value: user }]);
  csr.sign(key, md.sha256.create());
  return pki.certificationRequestToPem(csr);
}
