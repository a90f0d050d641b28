import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WriteScopeSchema } from "../../gen/pushpals/v1/task_pb.js";
import { defaultChangePolicy, type ChangeEntry } from "../../shared/policy/index.js";
import { checkChange } from "../../services/runner/scope-check.js";

const file = (path: string): ChangeEntry => ({ path, kind: "regular", size: 3 });
const scope = (init: Parameters<typeof create<typeof WriteScopeSchema>>[1]) => create(WriteScopeSchema, init);

describe("the plan's scope on top of the operator's policy", () => {
  const rows = [
    {
      name: "no plan scope: the policy alone",
      entries: [file(".github/workflows/ci.yml")],
      planScope: undefined,
      fails: /operator's \[policy\] forbids paths matching forbidden_globs "\.github\/workflows\/\*\*": \.github\/workflows\/ci\.yml/,
    },
    {
      name: "a plan that names the workflow cannot widen the policy",
      entries: [file(".github/workflows/ci.yml")],
      planScope: scope({ writeAllowed: true, writeGlobs: [".github/**"] }),
      fails: /operator's \[policy\]/,
    },
    {
      name: "a plan that allows everything cannot widen it either",
      entries: [{ path: "src/shadow", kind: "symlink", size: 11, linkTarget: "/etc/shadow" } as ChangeEntry],
      planScope: scope({ writeAllowed: true }),
      fails: /src\/shadow -> \/etc\/shadow/,
    },
    {
      name: "the plan narrows what the policy allows",
      entries: [file("src/a.ts"), file("lib/b.ts")],
      planScope: scope({ writeAllowed: true, writeGlobs: ["src/**"] }),
      fails: /outside write_globs \[src\/\*\*\]: lib\/b\.ts/,
    },
    { name: "a change both allow", entries: [file("src/a.ts")], planScope: scope({ writeAllowed: true, writeGlobs: ["src/**"] }), fails: undefined },
  ];

  it.each(rows)("$name", ({ entries, planScope, fails }) => {
    const verdict = checkChange(entries, defaultChangePolicy(), planScope);
    if (!fails) return expect(verdict).toEqual({ ok: true });
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? "" : verdict.message).toMatch(fails);
    expect(verdict.ok ? "" : verdict.message).toMatch(/nothing was committed/i);
  });

  it("reports the policy's paths, so the job's failure names them", () => {
    const verdict = checkChange([file(".gitmodules"), file("ok.txt")], defaultChangePolicy(), undefined);
    expect(verdict.ok ? [] : verdict.paths).toEqual([".gitmodules"]);
  });
});
