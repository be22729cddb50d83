// Long topics and announcements are audited in full (both engines; MariaDB in strict mode when set).
import { expect } from 'chai';
import type { Chatd } from '../../lib/app.js';
import { TestClient } from '../helpers/client.js';
import { auditLog, dbKinds, makeWorld, startServer, type World } from '../helpers/world.js';

for (const kind of dbKinds()) {
  describe(`e2e: audit of long topics and announcements (${kind})`, function () {
    let world: World;
    let chatd: Chatd;
    before(async () => {
      world = await makeWorld(kind);
      chatd = await startServer(world);
    });
    after(async () => { await chatd?.stop(); await world?.drop(); });

    it('a 1,500-character topic and announcement are set, broadcast and audited', async () => {
      const mod = await TestClient.loggedIn(chatd.address.port, world.certs, 'mod');
      const boss = await TestClient.loggedIn(chatd.address.port, world.certs, 'boss');
      const topic = 'T'.repeat(1500);
      expect(await mod.command(`//topic ${topic}`)).to.include({ type: 'result' });
      await boss.waitFor((f) => f.type === 'event' && f.event === 'topic' && f.topic === topic);
      const text = 'A'.repeat(1500);
      expect(await boss.command(`//announce ${text}`)).to.include({ type: 'result' });
      const audit = await auditLog(world.store, 10);
      expect(audit.find((a) => a.action === 'topic')?.detail).to.equal(topic);
      expect(audit.find((a) => a.action === 'announce')?.detail).to.equal(text);
      mod.close(); boss.close();
    });
  });
}
