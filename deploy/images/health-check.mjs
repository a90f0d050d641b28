// The image's HEALTHCHECK: asks this container's own server grpc.health.v1.Health/Check (the
// Connect protocol's JSON form over HTTP/1.1, which the one port serves next to gRPC) and exits 0
// only on SERVING. Health needs no token, so no secret is read here. Plain node, no dependencies,
// so it runs in any image that has node.
const port = process.env.PUSHPALS_PORT || "3001";
const service = process.argv[2] ?? "";
const timeout = AbortSignal.timeout(Number(process.env.PUSHPALS_HEALTH_TIMEOUT_MS || 2500));
try {
  const response = await fetch(`http://127.0.0.1:${port}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ service }),
    signal: timeout,
  });
  const body = await response.json();
  const status = body.status ?? body.code ?? `HTTP ${response.status}`;
  process.stdout.write(`grpc.health.v1 ${service || "(server)"}: ${status}\n`);
  process.exit(status === "SERVING" ? 0 : 1);
} catch (error) {
  process.stdout.write(`grpc.health.v1: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
