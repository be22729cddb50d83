// The raw ceiling: the least a server can do for the bench's workload, in plain node:tls, so that
// every chatd figure has a "what would bare Node TLS do on this machine" next to it.
//
// Mutual TLS exactly as chatd sets it up (TLS 1.3, client certificate required and verified against
// the CA, ALPN chatd/1, noDelay). JSON Lines framing only: bytes are split at '\n' and nothing is
// parsed, checked, stored or rendered. Every complete line received is broadcast to every connected
// client, the sender included. The complete lines of one received chunk are written to each client
// in one write, which is what chatd's per-turn cork/uncork amounts to, so both servers pay one
// TLS record per recipient per read.
//
// Run: node dist/bench/ceiling.js --cert server.crt --key server.key --ca ca.crt [--port 0]
// Prints `ceiling listening on <host>:<port>` when ready; SIGTERM closes everything and exits.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { ticketOptions } from '../lib/tls-tickets.js';

const MAX_LINE = 16 * 1024; // chatd's limit; a longer unterminated line closes the connection

const { values: args } = parseArgs({
  options: {
    cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' },
  },
});
if (!args.cert || !args.key || !args.ca) {
  process.stderr.write('usage: ceiling --cert server.crt --key server.key --ca ca.crt [--host 127.0.0.1] [--port 0]\n');
  process.exit(2);
}

const clients = new Set<tls.TLSSocket>();

const pem = { cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key), ca: fs.readFileSync(args.ca) };
const server = tls.createServer({
  // Ticket keys as chatd makes them (lib/tls-tickets.ts), so that tickets survive a restart here too.
  ...pem, ...ticketOptions(pem),
  requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['chatd/1'], minVersion: 'TLSv1.3', handshakeTimeout: 10_000,
}, (socket) => {
  socket.setNoDelay(true);
  clients.add(socket);
  let carry: Buffer | null = null;
  socket.on('data', (chunk: Buffer) => {
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    const last = buf.lastIndexOf(0x0a);
    if (last === -1) {
      carry = buf;
      if (carry.length > MAX_LINE) socket.destroy();
      return;
    }
    carry = last === buf.length - 1 ? null : buf.subarray(last + 1);
    const lines = last === buf.length - 1 ? buf : buf.subarray(0, last + 1);
    for (const c of clients) c.write(lines);
  });
  socket.on('error', () => {});
  socket.on('close', () => clients.delete(socket));
});
server.on('tlsClientError', (_err, socket) => socket.destroy());

server.listen(Number(args.port), args.host, () => {
  const a = server.address() as AddressInfo;
  process.stdout.write(`ceiling listening on ${a.address}:${a.port}\n`);
});

process.on('SIGTERM', () => {
  server.close();
  for (const c of clients) c.destroy();
  process.exit(0);
});
