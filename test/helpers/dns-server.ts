/**
 * A tiny authoritative DNS server on loopback (UDP), for tests of name resolution: it answers A and AAAA queries for
 * the names it is given and NXDOMAIN for the rest. Real packets over a real socket, read by Node's real resolver.
 *
 *   const dns = await startDnsServer({ 'api.test': ['127.0.0.1'], 'evil.test': ['169.254.169.254'] });
 *   // OUTBOUND_DNS_SERVERS=dns.server  (e.g. 127.0.0.1:53124)
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';

export interface DnsServer {
  /** `127.0.0.1:port`, as OUTBOUND_DNS_SERVERS takes it. */
  server: string;
  /** Replaces the answers for a name. */
  set(name: string, addresses: string[]): void;
  close(): Promise<void>;
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const bytes = Buffer.alloc(16);
  for (const [i, group] of groups.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  return bytes;
}

function answer(query: Buffer, records: Map<string, string[]>): Buffer {
  let offset = 12;
  const labels: string[] = [];
  while (query[offset]! > 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += length + 1;
  }
  offset += 1;
  const type = query.readUInt16BE(offset);
  const question = query.subarray(12, offset + 4);
  const name = labels.join('.').toLowerCase();
  const known = records.get(name);
  const wanted = (known ?? []).filter((address) => isIP(address) === (type === 28 ? 6 : type === 1 ? 4 : -1));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  header.writeUInt16BE(known ? 0x8580 : 0x8583, 2); // response, authoritative, recursion desired/available; NXDOMAIN if unknown
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(wanted.length, 6);
  const answers = wanted.map((address) => {
    const data = type === 1 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(1, 6); // TTL: 1 s
    record.writeUInt16BE(data.length, 10);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, question, ...answers]);
}

export async function startDnsServer(initial: Record<string, string[]> = {}): Promise<DnsServer> {
  const records = new Map(Object.entries(initial).map(([name, addresses]) => [name.toLowerCase(), addresses]));
  const socket = createSocket('udp4');
  socket.on('message', (message: Buffer, remote: RemoteInfo) => {
    try {
      socket.send(answer(message, records), remote.port, remote.address);
    } catch {
      // a malformed query gets no answer
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    set(name, addresses) {
      records.set(name.toLowerCase(), addresses);
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
