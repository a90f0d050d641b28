/** Every command with its usage text, for `pushpals help` and the shell completions (flags are read off the usage). */
export async function commandUsages(): Promise<{ name: string; usage: string }[]> {
  const [{ demoUsage }, { upUsage }, { serveUsage }, { clientUsages }, { doctorUsage }, { completionUsage }] = await Promise.all([
    import("./demo/demo-command.js"),
    import("./commands/up.js"),
    import("./commands/serve.js"),
    import("./client/commands.js"),
    import("./doctor/doctor-command.js"),
    import("./completion/completion-command.js"),
  ]);
  return [
    { name: "demo", usage: demoUsage },
    { name: "up", usage: upUsage },
    { name: "serve", usage: serveUsage },
    ...Object.entries(clientUsages).map(([name, usage]) => ({ name, usage })),
    { name: "doctor", usage: doctorUsage },
    { name: "completion", usage: completionUsage },
  ];
}
