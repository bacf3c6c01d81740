// A WebSocket echo server (RFC 6455, text and binary frames, no extensions) for the proxy tests:
// plain HTTP answers `$MESSAGE`, an Upgrade to websocket echoes every message back.
const crypto = require("node:crypto");
const http = require("node:http");

const port = Number(process.env.PORT || 8080);
const message = process.env.MESSAGE || "ws-echo";
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const server = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`${message}\n`);
});

function frame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : Buffer.alloc(len < 65536 ? 4 : 10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

server.on("upgrade", (req, socket) => {
  const key = req.headers["sec-websocket-key"];
  if (String(req.headers.upgrade).toLowerCase() !== "websocket" || !key) return socket.destroy();
  const accept = crypto
    .createHash("sha1")
    .update(key + GUID)
    .digest("base64");
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (buf[1] & 0x80) !== 0;
      const need = off + (masked ? 4 : 0) + len;
      if (buf.length < need) return;
      const mask = masked ? buf.subarray(off, off + 4) : undefined;
      const data = Buffer.from(buf.subarray(need - len, need));
      if (mask) for (let i = 0; i < data.length; i++) data[i] ^= mask[i % 4];
      buf = buf.subarray(need);
      if (opcode === 0x8) {
        socket.end(frame(0x8, Buffer.alloc(0)));
        return;
      }
      if (opcode === 0x9) socket.write(frame(0xa, data));
      else if (opcode === 0x1 || opcode === 0x2) socket.write(frame(opcode, data));
    }
  });
  socket.on("error", () => socket.destroy());
});

server.listen(port, () => console.log(`ws-echo listening on :${port}`));
process.on("SIGTERM", () => {
  server.close();
  process.exit(0);
});
