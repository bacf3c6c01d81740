// Berth's demo app: answers every request with a greeting, the task's hostname and the version.
const http = require("node:http");
const os = require("node:os");

const port = Number(process.env.PORT || 8080);
const version = process.env.APP_VERSION || "1";

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" });
    return res.end("ok\n");
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(`${JSON.stringify({ app: "berth-demo", version, host: os.hostname() })}\n`);
});
server.listen(port, () => console.log(`berth-demo v${version} listening on :${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
