/** A repository whose test needs a real npm dependency (is-number), installed by the setup phase. */

export const PACKAGE_JSON = JSON.stringify(
  { name: "env-fixture", version: "1.0.0", private: true, scripts: { test: "node test.js" }, dependencies: { "is-number": "7.0.0" } },
  null,
  2,
);

export const PACKAGE_LOCK = JSON.stringify(
  {
    name: "env-fixture",
    version: "1.0.0",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "env-fixture", version: "1.0.0", dependencies: { "is-number": "7.0.0" } },
      "node_modules/is-number": {
        version: "7.0.0",
        resolved: "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz",
        integrity: "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
        license: "MIT",
        engines: { node: ">=0.12.0" },
      },
    },
  },
  null,
  2,
);

export const TEST_JS = `const isNumber = require("is-number");
if (!isNumber(5) || isNumber("five")) { console.error("is-number is broken"); process.exit(1); }
console.log("is-number works");
`;

/** `node probe.js <label>`: one TCP connect to the npm registry, reported either way (exit 0). */
export const PROBE_JS = `const label = process.argv[2];
const socket = require("net").connect(443, "registry.npmjs.org");
socket.setTimeout(5000, () => { console.log(label + ": no network (timeout)"); process.exit(0); });
socket.on("connect", () => { console.log(label + ": network reachable"); process.exit(0); });
socket.on("error", (error) => { console.log(label + ": no network (" + error.code + ")"); process.exit(0); });
`;

export function npmRepository(extra: Record<string, string> = {}): Record<string, string> {
  return { "README.md": "# env fixture\n", "package.json": PACKAGE_JSON, "package-lock.json": PACKAGE_LOCK, "test.js": TEST_JS, "probe.js": PROBE_JS, ...extra };
}
