// The port-forward endpoint of the scripted Kubernetes API server, as the kubelet answers it over WebSocket
// (RFC 6455, written here with node:crypto so the client under test, client-node over `ws`, meets an
// independent implementation): GET /api/v1/namespaces/NS/pods/POD/portforward?ports=P upgraded with
// subprotocol v4.channel.k8s.io. Per port, channel 0 carries data both ways and channel 1 errors from the
// server; the server's first frame on each channel is the port as 2 little-endian bytes; every frame starts
// with its channel byte. The "pod" is a real TCP server on loopback (test configuration).
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';
const DATA = 0;
const ERROR = 1;

/** Where a pod's container ports really are: pod port -> loopback port. */
export type PodPorts = Readonly<Record<number, number>>;

/** Answers an HTTP request on the upgraded socket and closes it (a refused upgrade). */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

/**
 * Completes the WebSocket handshake and tunnels channel 0 to 127.0.0.1:ports[port]. A port the pod does not
 * listen on gets the kubelet's error-channel message, then the close.
 */
export function acceptPortForward(
  req: IncomingMessage,
  socket: Duplex,
  o: { pod: string; port: number; ports: PodPorts },
): void {
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept}`,
      `Sec-WebSocket-Protocol: ${PORT_FORWARD_PROTOCOL}`,
      '',
      '',
    ].join('\r\n'),
  );
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16LE(o.port, 0);
  const send = (channel: number, payload: Buffer) => {
    if (!socket.writable) return;
    socket.write(frame(0x2, Buffer.concat([Buffer.from([channel]), payload])));
  };
  send(DATA, portBytes);
  send(ERROR, portBytes);

  let closed = false;
  const close = (code = 1000) => {
    if (closed) return;
    closed = true;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code, 0);
    if (socket.writable) socket.end(frame(0x8, body));
    target?.destroy();
  };
  const local = o.ports[o.port];
  let target: Socket | undefined;
  const pending: Buffer[] = [];
  if (local === undefined) {
    send(
      ERROR,
      Buffer.from(
        `error forwarding port ${o.port} to pod ${o.pod}, uid : failed to execute portforward in network namespace: failed to connect to localhost:${o.port} inside namespace: connection refused`,
      ),
    );
    close();
  } else {
    target = connect(local, '127.0.0.1');
    target.on('connect', () => {
      for (const b of pending.splice(0)) target?.write(b);
    });
    target.on('data', (d: Buffer) => send(DATA, d));
    target.on('error', (e) => {
      send(ERROR, Buffer.from(`error forwarding port ${o.port} to pod ${o.pod}: ${e.message}`));
      close();
    });
    target.on('close', () => close());
  }

  let buf = Buffer.alloc(0);
  let message: Buffer[] = [];
  socket.on('error', () => target?.destroy());
  socket.on('close', () => {
    closed = true;
    target?.destroy();
  });
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const f = parseFrame(buf);
      if (!f) return;
      buf = buf.subarray(f.size);
      if (f.opcode === 0x8) return close();
      if (f.opcode === 0x9) {
        if (socket.writable) socket.write(frame(0xa, f.payload));
        continue;
      }
      if (f.opcode === 0xa) continue;
      message.push(f.payload);
      if (!f.fin) continue;
      const whole = Buffer.concat(message);
      message = [];
      // Only the data channel may be written by the client; the port header is the server's alone.
      if (whole[0] !== DATA || whole.length < 2) continue;
      const data = whole.subarray(1);
      if (target?.readyState === 'open') target.write(data);
      else pending.push(data);
    }
  });
}

function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x80 | opcode, n])
      : n < 65536
        ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff])
        : (() => {
            const h = Buffer.alloc(10);
            h[0] = 0x80 | opcode;
            h[1] = 127;
            h.writeBigUInt64BE(BigInt(n), 2);
            return h;
          })();
  return Buffer.concat([head, payload]);
}

/** One client frame (always masked) from the front of buf, or undefined when incomplete. */
function parseFrame(
  buf: Buffer,
): { fin: boolean; opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  let len = b1 & 0x7f;
  let at = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    at = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  const mask = masked ? buf.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (buf.length < at + len) return undefined;
  const payload = Buffer.from(buf.subarray(at, at + len));
  if (mask)
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, size: at + len };
}
