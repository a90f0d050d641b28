/**
 * git check-ref-format's rules, in TypeScript, for branch and ref names that arrive over RPC
 * (no git process on the request path). Also refused: a leading "-", which any git command line
 * would read as an option (`--upload-pack=…`). Returns what is wrong, or undefined when the name
 * is one git would accept as `refs/heads/<name>`.
 */
export function refNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name.length > 250) return "is longer than 250 characters";
  if (name.startsWith("-")) return 'starts with "-", which git reads as an option';
  if (name === "@") return 'is "@", which git reads as HEAD';
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return "contains a space, a control character or one of ~ ^ : ? * [ \\";
  if (name.includes("..")) return 'contains ".."';
  if (name.includes("@{")) return 'contains "@{"';
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//")) return 'starts or ends with "/" or contains "//"';
  if (name.endsWith(".")) return 'ends with "."';
  for (const component of name.split("/")) {
    if (component.startsWith(".")) return `has a component starting with "." (${component})`;
    if (component.endsWith(".lock")) return `has a component ending with ".lock" (${component})`;
  }
  return undefined;
}
