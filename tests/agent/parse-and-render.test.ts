import { execFile, spawnSync } from "node:child_process";
import { cp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { boundedText, joinClipped } from "../../services/runner/agent/bounded-text.js";
import { cliScript, renderCommandTemplate } from "../../services/runner/agent/command-template.js";
import { parseAction } from "../../services/runner/agent/parse-action.js";
import { defaultPromptsDir, loadAgentPrompts, renderTemplate } from "../../services/runner/agent/prompts.js";
import { tempDir } from "../support/tmp.js";

const run = promisify(execFile);

describe("parseAction", () => {
  it("takes the one shell block, in any of the accepted fences, and keeps the prose as the thought", () => {
    for (const fence of ["bash", "sh", "shell", ""]) {
      expect(parseAction(`THOUGHT: look.\n\n\`\`\`${fence}\nls -la\n\`\`\`\n`, 1000)).toEqual({ ok: true, thought: "THOUGHT: look.", command: "ls -la" });
    }
  });

  it("keeps a multi-line command whole and ignores blocks in other languages", () => {
    const reply = "Here is the diff:\n```diff\n-a\n+b\n```\nApplying it:\n```bash\ncat > f <<'EOF'\nb\nEOF\ngit diff\n```";
    expect(parseAction(reply, 1000)).toMatchObject({ ok: true, command: "cat > f <<'EOF'\nb\nEOF\ngit diff" });
  });

  it("says exactly what is wrong with a reply it cannot run", () => {
    expect(parseAction("   \n", 1000)).toMatchObject({ ok: false, problem: "your reply was empty." });
    expect(parseAction("no fences at all", 1000)).toMatchObject({ ok: false, problem: expect.stringContaining("no ```bash code block") });
    expect(parseAction("```bash\nls\n```\n```bash\npwd\n```\n```sh\nid\n```", 1000)).toMatchObject({ ok: false, problem: expect.stringContaining("3 ```bash code blocks") });
    expect(parseAction("```bash\nls", 1000)).toMatchObject({ ok: false, problem: expect.stringContaining("no ```bash code block") });
    expect(parseAction("```bash\n\n```", 1000)).toMatchObject({ ok: false, problem: "its code block is empty." });
    expect(parseAction("```bash\necho a\0b\n```", 1000)).toMatchObject({ ok: false, problem: expect.stringContaining("NUL byte") });
    expect(parseAction(`\`\`\`bash\necho ${"x".repeat(100)}\n\`\`\``, 50)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^your reply was \d+ characters long, more than the 50 allowed/),
    });
  });
});

describe("prompt templates", () => {
  it("renders every placeholder once, never expanding braces that come from a value", () => {
    expect(renderTemplate("a {{x}} b {{ y }}", { x: "{{y}}", y: 2 })).toBe("a {{y}} b 2");
  });

  it("fails loudly when a variable has no value", () => {
    expect(() => renderTemplate("exit {{exit_code}}", {}, 'agent prompt "observation"')).toThrow('agent prompt "observation" needs a value for {{exit_code}} but none was given');
  });

  it("loads the shipped prompts from the package root", async () => {
    const prompts = await loadAgentPrompts();
    expect(defaultPromptsDir()).toMatch(/prompts\/agent$/);
    expect(prompts.render("limits", { steps_left: 1, max_steps: 9, sentinel: "S" })).toBe(
      "<note>Only 1 of your 9 replies are left. If the work is done, submit now with `echo S` and your summary.</note>",
    );
  });

  it("refuses, at load, a prompt file using a variable the code does not give it, or a missing file", async () => {
    const dir = await tempDir("pushpals-prompts-");
    try {
      await cp(defaultPromptsDir(), dir.path, { recursive: true });
      await writeFile(join(dir.path, "observation.md"), "exit {{exit_code}} {{exitcode}}");
      await expect(loadAgentPrompts(dir.path)).rejects.toThrow(/observation\.md uses \{\{exitcode\}\}, which is not one of its variables \(exit_code, notes, output\)/);
      await rm(join(dir.path, "observation.md"));
      await expect(loadAgentPrompts(dir.path)).rejects.toThrow(/cannot read the prompt .*observation\.md/);
    } finally {
      await dir.remove();
    }
  });
});

describe("boundedText", () => {
  it("keeps head and tail of text arriving in pieces, and counts what it left out", () => {
    const text = boundedText(10);
    for (const piece of ["abc", "defgh", "ijklmnop", "qrstuvwxyz"]) text.append(piece);
    expect(text.result()).toEqual({ head: "abcde", tail: "vwxyz", totalChars: 26, elidedChars: 16 });
    expect(joinClipped(text.result())).toBe("abcde\n[... 16 characters elided ...]\nvwxyz");
  });

  it("keeps short text whole", () => {
    const text = boundedText(10);
    text.append("short");
    expect(joinClipped(text.result())).toBe("short");
  });
});

describe("command templates", () => {
  it("quotes every value so the shell sees each as one word, whatever it holds", async () => {
    const line = renderCommandTemplate("printf '%s|' {model} {workdir} {instruction}; cat {instruction_file}", { model: "it's; rm -rf ~", workdir: "/work space" });
    const { stdout, status } = spawnSync("/bin/sh", ["-c", cliScript(line)], { input: "the $(task) `here`\n", encoding: "utf8", timeout: 5000 });
    expect(status).toBe(0);
    // The shell's $(cat ...) drops the trailing newline; the file itself keeps it.
    expect(stdout).toBe("it's; rm -rf ~|/work space|the $(task) `here`|the $(task) `here`\n");
  });

  it("keeps the CLI's exit code and removes the instruction file", async () => {
    const script = cliScript('echo "$PUSHPALS_INSTRUCTION_FILE"; exit 7');
    const result = spawnSync("/bin/sh", ["-c", script], { input: "task", encoding: "utf8", timeout: 5000 });
    expect(result.status).toBe(7);
    const file = result.stdout.trim();
    expect(file).toMatch(/\/instruction\.md$/);
    await expect(run("test", ["-e", file])).rejects.toMatchObject({ code: 1 });
  });
});
