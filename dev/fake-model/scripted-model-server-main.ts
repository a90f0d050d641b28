// `node dist/dev/fake-model/scripted-model-server-main.js --script replies.jsonl --port 0`
// prints the server's base URL (…/v1) and serves until SIGINT or SIGTERM.
import { createLogger } from "../../shared/log.js";
import { runScriptedModelServer } from "./scripted-model-server-cli.js";

const logger = createLogger("scripted-model-server");
try {
  const server = await runScriptedModelServer(process.argv.slice(2), process.stdout, logger);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  process.stderr.write(`scripted-model-server: ${(error as Error).message}\n`);
  process.exit(2);
}
