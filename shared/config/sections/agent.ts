import { z } from "zod";

/** What a command template may name; each is replaced by a shell-quoted value. */
export const COMMAND_TEMPLATE_PLACEHOLDERS = ["instruction_file", "instruction", "model", "workdir"] as const;

/** `{name}` in lower case, not `${NAME}` (a shell variable) nor `{a,b}` (brace expansion). */
export const COMMAND_PLACEHOLDER = /(?<!\$)\{([a-z_][a-z0-9_]*)\}/g;

const commandTemplate = z
  .string()
  .default("")
  .refine(
    (template) => [...template.matchAll(COMMAND_PLACEHOLDER)].every((m) => (COMMAND_TEMPLATE_PLACEHOLDERS as readonly string[]).includes(m[1]!)),
    `may only use the placeholders ${COMMAND_TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`,
  );

/** The coding agent: which backend runs a job, its limits beyond [runner]'s, and the validation rounds. */
export const agentSection = z
  .strictObject({
    /** builtin: PushPals' own loop (one shell command per model turn); command: an external agent CLI in the sandbox. */
    backend: z.enum(["builtin", "command"]).default("builtin"),
    /** Rounds the agent gets to fix a failed validation before the job fails. */
    maxValidationRounds: z.coerce.number().int().min(0).max(20).default(2),
    /** Model tokens a job may spend when its plan names no budget. */
    maxTokens: z.coerce.number().int().min(1000).max(1_000_000_000).default(2_000_000),
    /** One builtin-agent command; its process tree is killed after this. */
    commandTimeoutSeconds: z.coerce.number().min(1).max(86_400).default(300),
    /** One validation step. */
    validationTimeoutSeconds: z.coerce.number().min(1).max(86_400).default(900),
    /** Characters of one command's output the model sees (head and tail). */
    maxOutputChars: z.coerce.number().int().min(1000).max(1_000_000).default(10_000),
    command: z
      .strictObject({
        /**
         * The CLI to run in the sandbox, e.g. `mini -y -m openai/{model} -t "$(cat {instruction_file})"`
         * or `aider --yes --message-file {instruction_file}`.
         */
        template: commandTemplate,
        /** Extra environment for the CLI (never secrets: it is visible inside the sandbox). */
        env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name"), z.string()).default({}),
      })
      .prefault({}),
  })
  .superRefine((agent, ctx) => {
    if (agent.backend === "command" && agent.command.template.trim() === "") {
      ctx.addIssue({
        code: "custom",
        path: ["command", "template"],
        message: 'must be set when agent.backend is "command", e.g. "mini -y -m openai/{model} -t \\"$(cat {instruction_file})\\""',
      });
    }
  });

export type AgentConfig = z.output<typeof agentSection>;

export const agentEnv = {
  PUSHPALS_AGENT_BACKEND: "agent.backend",
  PUSHPALS_AGENT_COMMAND: "agent.command.template",
  PUSHPALS_AGENT_MAX_VALIDATION_ROUNDS: "agent.maxValidationRounds",
  PUSHPALS_AGENT_MAX_TOKENS: "agent.maxTokens",
} as const;
