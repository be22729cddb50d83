// Binding a listener (chat, IRC, metrics): a failure is one clear line naming what could not
// listen where; after that, errors of the running listener are logged, never thrown.
import type net from 'node:net';
import { SetupError } from './errors.js';
import type { Logger } from './log.js';

export function listenOn(server: net.Server, port: number, host: string, what: string, log: Logger): Promise<net.AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      reject(new SetupError(`cannot listen ${what}on ${host}:${port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      server.on('error', (e) => log.error(`${what}listener error`.trim(), { err: e.message }));
      resolve(server.address() as net.AddressInfo);
    });
  });
}
