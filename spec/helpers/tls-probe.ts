// Raw TLS probes for the handshake-level specs: what a client with given settings gets from a server,
// without the JSON client on top (a refused handshake has no frames to wait for).
import fs from 'node:fs';
import tls from 'node:tls';

export type ProbeOpts = {
  /** Client certificate of this name from `certs/clients`, or from `certDir/clients`; null for none. */
  certOf?: string | null;
  certDir?: string;
  maxVersion?: tls.SecureVersion;
  alpn?: boolean;
  /** Local address to connect from (127.0.0.x), for the per-address limits. */
  from?: string;
};

export type ProbeResult = {
  /** The server accepted the connection: it sent its first bytes (the welcome) over it. */
  accepted: boolean;
  protocol: string | null;
  alpn: string | false | null;
  cipher: string | null;
  error: string | null;
};

/** Connects, waits for the server's first data or for the connection to end, and reports. */
export function probe(port: number, certs: string, opts: ProbeOpts = {}, ms = 5000): Promise<ProbeResult> {
  const certOf = opts.certOf === undefined ? 'alice' : opts.certOf;
  const dir = opts.certDir ?? certs;
  const o: tls.ConnectionOptions = { host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(`${certs}/ca.crt`) };
  if (certOf) { o.cert = fs.readFileSync(`${dir}/clients/${certOf}.crt`); o.key = fs.readFileSync(`${dir}/clients/${certOf}.key`); }
  if (opts.maxVersion) o.maxVersion = opts.maxVersion;
  if (opts.alpn !== false) o.ALPNProtocols = ['chatd/1'];
  if (opts.from) (o as tls.ConnectionOptions & { localAddress?: string }).localAddress = opts.from;
  return new Promise((resolve, reject) => {
    const r: ProbeResult = { accepted: false, protocol: null, alpn: null, cipher: null, error: null };
    const s = tls.connect(o);
    const t = setTimeout(() => { s.destroy(); reject(new Error(`probe got neither data nor a close in ${ms} ms`)); }, ms);
    const done = () => { clearTimeout(t); s.destroy(); resolve(r); };
    s.once('secureConnect', () => {
      r.protocol = s.getProtocol();
      r.alpn = s.alpnProtocol;
      r.cipher = s.getCipher()?.name ?? null;
    });
    s.once('data', () => { r.accepted = true; done(); });
    s.once('error', (e: NodeJS.ErrnoException) => { r.error = e.code ?? e.message; done(); });
    s.once('close', done);
  });
}
