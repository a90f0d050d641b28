import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadChatPrompts } from "../../services/chat/chat-prompts.js";
import { loadPromptSet, renderTemplate } from "../../shared/prompts.js";
import { loadPlannerPrompts } from "../../services/planner/planner-prompts.js";
import { tempDir, type TempDir } from "../support/tmp.js";

let dir: TempDir | undefined;
afterEach(async () => {
  await dir?.remove();
  dir = undefined;
});

describe("prompt templates", () => {
  it("fills each {{name}} once, never expanding braces inside a value", () => {
    expect(renderTemplate("Hi {{ who }}, {{what}}.", { who: "{{what}}", what: 3 })).toBe("Hi {{what}}, 3.");
  });

  it("fails loudly on a placeholder without a value", () => {
    expect(() => renderTemplate("Hi {{who}} and {{whom}}", { who: "a" }, "greeting")).toThrow("greeting needs a value for {{whom}} but none was given");
    // Inherited properties are not values.
    expect(() => renderTemplate("{{constructor}}", {})).toThrow(/needs a value for \{\{constructor\}\}/);
  });

  it("refuses a prompt file that uses a variable the code does not give, when loading", async () => {
    dir = await tempDir("pushpals-prompts-");
    await writeFile(join(dir.path, "ask.md"), "About {{repo_name}} on {{branch}}\n");
    await expect(loadPromptSet(dir.path, { ask: ["repo_name"] })).rejects.toMatchObject({
      rawMessage: expect.stringMatching(/ask\.md uses \{\{branch\}\}, which is not one of its variables \(repo_name\); fix the prompt file/),
    });
  });

  it("names the missing file", async () => {
    dir = await tempDir("pushpals-prompts-");
    await expect(loadPromptSet(dir.path, { system: [] })).rejects.toMatchObject({ rawMessage: expect.stringMatching(/cannot read the prompt .*system\.md/) });
  });

  it("the shipped planner and chat prompts load and render with every variable", async () => {
    const planner = await loadPlannerPrompts();
    const request = planner.render("request", {
      request_text: "R",
      base_branch: "B",
      tree_summary: "T",
      git_status: "G",
      recent_jobs: "J",
      recent_messages: "M",
    });
    expect(request).toMatch(/<request>\nR\n<\/request>[\s\S]*branch="B"[\s\S]*T[\s\S]*G[\s\S]*J[\s\S]*M/);
    expect(planner.render("repair", { errors: "E" })).toContain("E");
    expect(planner.render("system", {})).toContain('"worker_instruction"');
    expect((await loadChatPrompts()).render("ask", { repo_name: "demo", base_branch: "main" })).toContain("demo (base branch main)");
  });
});
