import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { COMMAND_SYNOPSES } from "../../cli/command-synopses.js";
import { commandUsages } from "../../cli/command-usages.js";
import { CONFIG_VARIABLES } from "../../shared/config/config-variables.js";
import { unknownVariables } from "../../shared/config/known-variables.js";
import { ENV_MAP } from "../../shared/config/schema.js";
import { PUSHPALS_BIN } from "../support/pushpals-process.js";
import { startCli } from "./support/run-cli.js";

const run = promisify(execFile);

describe("pushpals start-up", () => {
  it("--version names the package version", async () => {
    const { code, stdout } = await startCli(["--version"]).exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pushpals \d+\.\d+\.\d+ \(node v\d+/);
  });

  it("warns of an unknown PUSHPALS_* variable with a did-you-mean, and goes on", async () => {
    const { code, stdout, stderr } = await startCli(["doctor", "--help"], { env: { PUSHPALS_LLM_MODLE: "gpt-4o-mini", PUSHPALS_WHATEVER: "1" } }).exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pushpals doctor/);
    expect(stderr).toContain("pushpals: warning: PUSHPALS_LLM_MODLE is not a PushPals variable (did you mean PUSHPALS_LLM_MODEL?); it is ignored");
    expect(stderr).toMatch(/PUSHPALS_WHATEVER is not a PushPals variable; the variables PushPals reads are listed in the README/);
  });

  it("lists the same config variables the schema reads (the warning checks the static list)", () => {
    expect([...CONFIG_VARIABLES].sort()).toEqual(Object.keys(ENV_MAP).sort());
    expect(new Set(CONFIG_VARIABLES).size).toBe(CONFIG_VARIABLES.length);
  });

  it("lists every command's usage line in the overview (help prints the static list)", async () => {
    const firstLines = (await commandUsages()).map(({ usage }) => usage.split("\n")[0]);
    expect(COMMAND_SYNOPSES).toEqual(firstLines);
    const { code, stdout } = await startCli(["--help"]).exited;
    expect(code).toBe(0);
    for (const line of firstLines) expect(stdout).toContain(`  ${line}\n`);
  });

  it("knows every variable it reads, and what Kubernetes and the test suites set", () => {
    expect(
      unknownVariables({
        PUSHPALS_LLM_MODEL: "m",
        PUSHPALS_LOG_FORMAT: "json",
        PUSHPALS_SERVER_URL: "x",
        PUSHPALS_API_SERVICE_HOST: "10.0.0.1",
        PUSHPALS_API_PORT_3001_TCP_ADDR: "10.0.0.1",
        PUSHPALS_TEST_NATS_URL: "x",
      }),
    ).toEqual([]);
    expect(unknownVariables({ PUSHPALS_DATABSE_URL: "x" })).toEqual([{ name: "PUSHPALS_DATABSE_URL", suggestion: "PUSHPALS_DATABASE_URL" }]);
  });

  it("refuses a log format it does not know, naming the ones it does", async () => {
    const flag = await startCli(["--log-format", "yaml", "status"]).exited;
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('pushpals: --log-format must be pretty or json, got "yaml"');
    const variable = await startCli(["status"], { env: { PUSHPALS_LOG_FORMAT: "text" } }).exited;
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain('PUSHPALS_LOG_FORMAT must be pretty or json, got "text"; fix or unset it');
  });

  it("bash loads the completion script and completes commands and flags", async () => {
    const script = `source <("${process.execPath}" "${PUSHPALS_BIN}" completion bash)
complete -p pushpals
COMP_WORDS=(pushpals do); COMP_CWORD=1; _pushpals; echo "commands: \${COMPREPLY[*]}"
COMP_WORDS=(pushpals chat --w); COMP_CWORD=2; _pushpals; echo "flags: \${COMPREPLY[*]}"
COMP_WORDS=(pushpals up --log-format ""); COMP_CWORD=3; _pushpals; echo "formats: \${COMPREPLY[*]}"`;
    const { stdout } = await run("bash", ["-c", script]);
    expect(stdout).toContain("complete -o default -F _pushpals pushpals");
    expect(stdout).toContain("commands: doctor");
    expect(stdout).toContain("flags: --wait");
    expect(stdout).toContain("formats: pretty json");
  });

  it.each(["zsh", "fish"])("prints a %s script that its shell parses", async (shell) => {
    const { stdout } = await run(process.execPath, [PUSHPALS_BIN, "completion", shell]);
    expect(stdout).toMatch(shell === "zsh" ? /^#compdef pushpals/ : /^# pushpals completion for fish/);
    const available = await run("sh", ["-c", `command -v ${shell}`]).then(
      () => true,
      () => false,
    );
    if (!available) return; // the content is checked above; the parse needs the shell
    const check = shell === "zsh" ? ["-n", "-c", stdout] : ["--no-execute", "-c", stdout];
    await expect(run(shell, check)).resolves.toBeDefined();
  });
});
