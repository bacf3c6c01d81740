// A WebSocket client by hand (Node 20 has none): the HTTP Upgrade over node:net, masked text frames
// out, text frames in. Enough to hold a connection open through the proxy and echo through it.
import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export interface TestWebSocket {
  send(text: string): void;
  /** The next text message, or a rejection when the connection closes or `timeoutMs` passes. */
  next(timeoutMs?: number): Promise<string>;
  /** Whether the connection is still open (no close frame, no FIN, no error). */
  readonly open: boolean;
  close(): void;
}

export function openWebSocket(o: { port: number; host: string; path?: string }): Promise<TestWebSocket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: "127.0.0.1", port: o.port });
    const key = randomBytes(16).toString("base64");
    let head = Buffer.alloc(0);
    let buf = Buffer.alloc(0);
    let open = false;
    const messages: string[] = [];
    const waiters: { resolve: (m: string) => void; reject: (e: Error) => void }[] = [];
    const fail = (err: Error) => {
      open = false;
      for (const w of waiters.splice(0)) w.reject(err);
    };
    const deliver = () => {
      while (messages.length && waiters.length) waiters.shift()!.resolve(messages.shift()!);
    };
    const parse = () => {
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
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
        if (buf.length < off + len) return;
        const data = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (opcode === 0x8) return fail(new Error("the server closed the websocket"));
        if (opcode === 0x1) {
          messages.push(data.toString("utf8"));
          deliver();
        }
      }
    };
    socket.on("data", (chunk: Buffer) => {
      if (open) {
        buf = Buffer.concat([buf, chunk]);
        return parse();
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = head.subarray(0, end).toString("latin1").split("\r\n");
      const accept = createHash("sha1")
        .update(key + GUID)
        .digest("base64");
      const ok =
        /^HTTP\/1\.1 101 /.test(lines[0]!) &&
        lines.some((l) => l.toLowerCase() === `sec-websocket-accept: ${accept.toLowerCase()}`);
      if (!ok) {
        socket.destroy();
        return reject(new Error(`no websocket upgrade: ${lines[0]}`));
      }
      open = true;
      buf = head.subarray(end + 4);
      parse();
      resolve(ws);
    });
    socket.on("error", (err) => (open ? fail(err) : reject(err)));
    socket.on("close", () => fail(new Error("the connection closed")));
    socket.on("end", () => fail(new Error("the connection ended")));
    socket.write(
      [
        `GET ${o.path ?? "/"} HTTP/1.1`,
        `Host: ${o.host}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${key}`,
        "Sec-WebSocket-Version: 13",
        "",
        "",
      ].join("\r\n"),
    );
    const ws: TestWebSocket = {
      send(text) {
        const payload = Buffer.from(text, "utf8");
        if (payload.length > 125) throw new Error("test messages are short");
        const mask = randomBytes(4);
        const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
      },
      next(timeoutMs = 5000) {
        return new Promise<string>((res, rej) => {
          if (!open && messages.length === 0) return rej(new Error("the websocket is closed"));
          const timer = setTimeout(() => rej(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
          waiters.push({
            resolve: (m) => {
              clearTimeout(timer);
              res(m);
            },
            reject: (e) => {
              clearTimeout(timer);
              rej(e);
            },
          });
          deliver();
        });
      },
      get open() {
        return open;
      },
      close() {
        socket.destroy();
      },
    };
  });
}
