import { create, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { packageRoot } from "../../shared/paths.js";
import { initRepo } from "../support/git.js";
import { startPushpals, type PushpalsProcess } from "../support/pushpals-process.js";
import { tempDir, type TempDir } from "../support/tmp.js";

/**
 * Issue 10, item 4: with a token set, every RPC of every service needs it — reads included —
 * except grpc.health.v1 (and reflection while it is left open). The methods come from the
 * generated descriptors of every contract in gen/, not from a hand list, and the running
 * `pushpals up` must serve each of those services.
 */

const TOKEN = "every-rpc-needs-this-token-0123456789";

/** Every service descriptor exported by the generated code under gen/. */
async function generatedServices(): Promise<DescService[]> {
  const root = join(packageRoot(), "gen");
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(join(dir, entry.name));
      else if (entry.name.endsWith("_pb.ts")) files.push(join(dir, entry.name));
    }
  };
  await walk(root);
  const services = new Map<string, DescService>();
  for (const file of files) {
    const module = (await import(file)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "service") {
        const service = value as DescService;
        services.set(service.typeName, service);
      }
    }
  }
  return [...services.values()];
}

const OPEN_ALWAYS = "grpc.health.v1.Health";
const isReflection = (service: DescService) => service.typeName.startsWith("grpc.reflection.");

/** Calls `method` with an empty request; resolves with the error code, or "ok". */
async function codeOf(transport: Transport, service: DescService, method: DescMethod): Promise<Code | "ok"> {
  const client = createClient(service, transport) as unknown as Record<string, (input: unknown, options?: { signal?: AbortSignal }) => unknown>;
  const call = client[method.localName]!;
  const signal = AbortSignal.timeout(10_000);
  try {
    const request = create(method.input);
    if (method.methodKind === "unary") await call(request, { signal });
    else if (method.methodKind === "server_streaming") {
      for await (const _ of call(request, { signal }) as AsyncIterable<unknown>) break;
    } else {
      // Client and bidi streams: one empty message, then read the first answer.
      async function* one() {
        yield request;
      }
      const answer = call(one(), { signal });
      if (Symbol.asyncIterator in (answer as object)) {
        for await (const _ of answer as AsyncIterable<unknown>) break;
      } else await answer;
    }
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

async function startUp(dir: TempDir, extraEnv: Record<string, string>): Promise<PushpalsProcess> {
  const repo = join(dir.path, "repo");
  await mkdir(repo, { recursive: true });
  await initRepo(repo, { "README.md": "# auth\n" });
  return startPushpals(
    ["up"],
    { PUSHPALS_PORT: "0", PUSHPALS_AUTH_TOKEN: TOKEN, PUSHPALS_DATA_DIR: join(dir.path, "data"), PUSHPALS_INTEGRATION_REMOTE: "", ...extraEnv },
    { cwd: repo, timeoutMs: 30_000 },
  );
}

const services = await generatedServices();

describe("with a token set, every RPC of every service needs it", () => {
  let dir: TempDir;
  let up: PushpalsProcess;

  beforeAll(async () => {
    dir = await tempDir("pushpals-auth-every-");
    up = await startUp(dir, {});
  });
  afterAll(async () => {
    await up?.stop();
    await dir?.remove();
  });

  it("the server serves every service the contracts define (so none is left out of what follows)", async () => {
    const reflection = createClient(ServerReflection, createGrpcTransport({ baseUrl: up.url }));
    const served: string[] = [];
    for await (const answer of reflection.serverReflectionInfo(
      (async function* () {
        yield { messageRequest: { case: "listServices" as const, value: "" } };
      })(),
    )) {
      if (answer.messageResponse.case === "listServicesResponse") served.push(...answer.messageResponse.value.service.map((s) => s.name));
      break;
    }
    expect(services.length).toBeGreaterThan(5);
    expect(served.sort()).toEqual(expect.arrayContaining(services.map((s) => s.typeName).sort()));
  });

  const methods = services.flatMap((service) => service.methods.map((method) => ({ service, method, name: `${service.typeName}/${method.name}` })));
  const protocols: [string, (url: string, headers?: Record<string, string>) => Transport][] = [
    ["Connect", (url, headers) => createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [withHeaders(headers)] })],
    ["gRPC", (url, headers) => createGrpcTransport({ baseUrl: url, interceptors: [withHeaders(headers)] })],
  ];

  for (const [protocol, transport] of protocols) {
    it(`${protocol}: without a token, every method but health (and open reflection) answers unauthenticated`, async () => {
      const anonymous = transport(up.url);
      const results: Record<string, Code | "ok"> = {};
      for (const { service, method, name } of methods) results[name] = await codeOf(anonymous, service, method);
      const refusedOrNot = Object.entries(results).map(([name, code]) => [name, code === Code.Unauthenticated]);
      const expected = methods.map(({ service, name }) => [name, !(service.typeName === OPEN_ALWAYS || isReflection(service))]);
      expect(refusedOrNot).toEqual(expected);
    }, 120_000);

    it(`${protocol}: a wrong token is refused everywhere it is needed, the right one nowhere`, async () => {
      const wrong = transport(up.url, { authorization: "Bearer not-the-token-not-the-token" });
      const right = transport(up.url, { authorization: `Bearer ${TOKEN}` });
      for (const { service, method, name } of methods) {
        if (service.typeName === OPEN_ALWAYS || isReflection(service)) continue;
        expect([name, await codeOf(wrong, service, method)]).toEqual([name, Code.Unauthenticated]);
        expect([name, await codeOf(right, service, method)]).not.toEqual([name, Code.Unauthenticated]);
      }
    }, 180_000);
  }
});

describe("with open_reflection = false", () => {
  let dir: TempDir;
  let up: PushpalsProcess;

  beforeAll(async () => {
    dir = await tempDir("pushpals-auth-reflection-");
    up = await startUp(dir, { PUSHPALS_OPEN_REFLECTION: "false" });
  });
  afterAll(async () => {
    await up?.stop();
    await dir?.remove();
  });

  it("reflection needs the token too; health still does not", async () => {
    const anonymous = createGrpcTransport({ baseUrl: up.url });
    for (const service of services) {
      for (const method of service.methods) {
        const code = await codeOf(anonymous, service, method);
        expect([service.typeName, method.name, code === Code.Unauthenticated]).toEqual([service.typeName, method.name, service.typeName !== OPEN_ALWAYS]);
      }
    }
  }, 120_000);
});

function withHeaders(headers: Record<string, string> = {}): Interceptor {
  return (next) => async (request) => {
    for (const [name, value] of Object.entries(headers)) request.header.set(name, value);
    return next(request);
  };
}
