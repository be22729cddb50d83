// The Store's server secrets (migration 009): keys chatd makes once and every node then shares,
// such as the resume-token key. Its own module: nothing else reads or writes that table.
import { randomBytes } from 'node:crypto';
import { StoreCore } from './core.js';

/** Bytes of a new secret: 256 bits, the size of an HMAC-SHA256 key. */
const SECRET_BYTES = 32;

export abstract class SecretStore extends StoreCore {
  /**
   * The secret called `name`, made on first use. Nodes that start together on a fresh database may
   * both try to make it: the second insert is ignored and both use the one that was stored.
   */
  async serverSecret(name: string): Promise<Buffer> {
    const stored = await this.readSecret(name);
    if (stored) return stored;
    await this.knex('server_secrets').insert({ name, secret: randomBytes(SECRET_BYTES).toString('base64'), created_at: Date.now() })
      .onConflict('name').ignore();
    const made = await this.readSecret(name);
    if (!made) throw new Error(`server secret "${name}" is unusable (shorter than ${SECRET_BYTES} bytes): delete its row in server_secrets`);
    return made;
  }

  /** A stored secret too short to be one of ours (a hand-edited row) counts as none, and is not used. */
  private async readSecret(name: string): Promise<Buffer | null> {
    const row = await this.knex('server_secrets').where({ name }).first('secret');
    const secret = row ? Buffer.from(String(row.secret), 'base64') : null;
    return secret && secret.length >= SECRET_BYTES ? secret : null;
  }
}
