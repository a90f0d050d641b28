import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Transport } from "@connectrpc/connect";
import type { Clients } from "../../shared/clients.js";
import { errorMessage } from "../../shared/errors.js";
import { CliFailure, EXIT, type ExitCode } from "./exit-codes.js";
import { rpcFailure } from "./rpc-failure.js";
import { connectToServer, connectionOptions, type ServerConnection } from "./server-connection.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
type OptionValue<T> = T extends { type: "boolean" } ? (T extends { multiple: true } ? boolean[] : boolean) : T extends { multiple: true } ? string[] : string;
/** What parseArgs returns for these options (strict mode: only declared flags, each of its declared type). */
export type FlagValues<O extends Options> = { [K in keyof O]?: OptionValue<O[K]> };

export interface CommandInput<O extends Options, C> {
  values: FlagValues<O & typeof connectionOptions>;
  positionals: string[];
  server: ServerConnection<C>;
}

export interface ClientCommandSpec<O extends Options, C> {
  name: string;
  usage: string;
  options: O;
  /** Positional arguments the command takes: [min, max]. */
  positionals?: [number, number];
  /**
   * The clients run() calls, made over the connection; without it, every service's
   * (shared/clients.ts). Naming only the services used keeps the others' generated code
   * from loading, which `pushpals status` would otherwise pay for at every start.
   */
  clients?: (transport: Transport) => C;
  run(input: CommandInput<O, C>): Promise<ExitCode>;
}

/**
 * Wraps a client command for cli/main.ts: parses flags (bad ones exit 2, pointing at
 * --help), connects, runs, and turns expected failures into one line on stderr and an
 * exit code — never a stack trace for something a person can fix. Anything else is a
 * bug and goes on to main's handler.
 */
export function clientCommand<O extends Options>(spec: ClientCommandSpec<O, Clients>): (args: string[]) => Promise<void>;
export function clientCommand<O extends Options, C>(spec: ClientCommandSpec<O, C> & { clients: (transport: Transport) => C }): (args: string[]) => Promise<void>;
export function clientCommand<O extends Options, C>(spec: ClientCommandSpec<O, C>): (args: string[]) => Promise<void> {
  return async (args) => {
    let server: ServerConnection<C> | undefined;
    try {
      const parsed = parseArgs({ args, options: { ...spec.options, ...connectionOptions }, allowPositionals: true, strict: true });
      const values = parsed.values as FlagValues<O & typeof connectionOptions>;
      if (values.help) {
        process.stdout.write(`${spec.usage}\n`);
        return;
      }
      const [min, max] = spec.positionals ?? [0, 0];
      if (parsed.positionals.length < min || parsed.positionals.length > max) {
        throw new CliFailure(`expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${parsed.positionals.length}\n\n${spec.usage}`, EXIT.usage);
      }
      const { url, transport } = connectToServer(values.server);
      // Only the first overload leaves out spec.clients, and its C is Clients.
      const makeClients = spec.clients ?? ((await import("../../shared/clients.js")).clientsOver as (transport: Transport) => C);
      server = { url, transport, clients: makeClients(transport) };
      await exitWith(await spec.run({ values, positionals: parsed.positionals, server }));
    } catch (error) {
      const failure = asFailure(error, server?.url);
      process.stderr.write(`pushpals ${spec.name}: ${failure.message}\n`);
      await exitWith(failure.exitCode);
    }
  };
}

/**
 * Exits once stdout and stderr have taken everything written. Explicit, because an HTTP/2
 * session whose server stream was cancelled just as the server ended it can stay referenced
 * (connect-node's stream count misses the close) and would keep a finished command alive.
 */
async function exitWith(code: ExitCode): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write("", () => resolve()))));
  process.exit(code);
}

function asFailure(error: unknown, url: string | undefined): CliFailure {
  if (error instanceof CliFailure) return error;
  // parseArgs explains at length how to pass a positional starting with "-"; the first sentence is the point.
  if (isParseArgsError(error)) return new CliFailure(`${errorMessage(error).split(". ")[0]}; see --help`, EXIT.usage);
  const fromRpc = url === undefined ? undefined : rpcFailure(error, url);
  if (fromRpc) return fromRpc;
  throw error;
}

function isParseArgsError(error: unknown): boolean {
  return error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS");
}
