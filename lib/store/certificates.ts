// The Store's client certificates: those issued (enroll, renew, chat-certs) and those revoked, which
// logins refuse. Its own module: enrollment writes certificates, but revocation and listing are
// chat-admin's and the login path's.
import { StoreCore } from './core.js';
import { certRow, toCertificate, type CertificateRecord } from './records.js';
import { SQL } from './sql.js';

export abstract class CertificateStore extends StoreCore {
  // ---- certificates -------------------------------------------------------------------------
  async revokeCert(fingerprint: string, by: string, reason = ''): Promise<boolean> {
    const exists = await this.knex('revoked_certs').where({ fingerprint }).first();
    if (exists) return false;
    await this.knex('revoked_certs').insert({ fingerprint, by, reason, created_at: Date.now() });
    await this.knex('certificates').where({ fingerprint }).whereNull('revoked_at').update({ revoked_at: Date.now() });
    return true;
  }

  async isRevoked(fingerprint: string): Promise<boolean> {
    return (await this.direct.all(SQL.revoked, [fingerprint])).length > 0;
  }

  async listRevoked(): Promise<string[]> {
    return (await this.knex('revoked_certs').select('fingerprint')).map((r: any) => r.fingerprint);
  }

  /** Records a client certificate; one already known is left as it is. */
  async recordCertificate(c: Omit<CertificateRecord, 'revokedAt'>): Promise<void> {
    await this.knex('certificates').insert(certRow(c)).onConflict('fingerprint').ignore();
  }

  async certificate(fingerprint: string): Promise<CertificateRecord | null> {
    const r = await this.knex('certificates').where({ fingerprint }).first();
    return r ? toCertificate(r) : null;
  }

  async listCertificates(user?: string): Promise<CertificateRecord[]> {
    const q = this.knex('certificates').orderBy('id', 'asc');
    if (user) q.where({ user });
    return (await q).map(toCertificate);
  }
}
