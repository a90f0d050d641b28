import { readImports, sourceFiles, type ImportEdge } from "./imports.js";
import type { Room } from "./rooms.js";

export interface LayoutReport {
  /** One line per broken rule: the file, the line, the import and what to do instead. */
  violations: string[];
  /** Cycles between rooms, each as "a → b → a". */
  cycles: string[];
  files: number;
  edges: number;
}

export function roomOf(rooms: readonly Room[], path: string): Room | undefined {
  let best: Room | undefined;
  for (const room of rooms) if (path.startsWith(room.path) && (!best || room.path.length > best.path.length)) best = room;
  return best;
}

/** Top-level room a sub-room (cli/demo/) belongs to, for the cycle graph. */
function roomName(rooms: readonly Room[], room: Room): string {
  const parent = rooms.filter((r) => r !== room && room.path.startsWith(r.path) && r.layer === room.layer);
  return (parent.sort((a, b) => a.path.length - b.path.length)[0] ?? room).path;
}

export function checkLayout(root: string, rooms: readonly Room[], sourceFolders: readonly string[]): LayoutReport {
  const violations: string[] = [];
  const graph = new Map<string, Set<string>>();
  const files = sourceFiles(root, [...sourceFolders, ...rooms.filter((r) => r.outside).map((r) => r.path.slice(0, -1))]);
  let edges = 0;
  for (const file of files) {
    const from = roomOf(rooms, file);
    if (!from) {
      violations.push(`${file}: in no room; put it in one of ARCHITECTURE.md's rooms (or add the room to tests/architecture/rooms.ts and the page)`);
      continue;
    }
    for (const edge of readImports(root, file)) {
      edges++;
      const to = roomOf(rooms, edge.to);
      if (!to || to === from || from.outside) continue;
      const problem = ruleBroken(from, to);
      if (problem) violations.push(`${where(edge)}: ${from.path} imports ${to.path} (${edge.specifier}): ${problem}`);
      const a = roomName(rooms, from);
      const b = roomName(rooms, to);
      if (a !== b) (graph.get(a) ?? graph.set(a, new Set()).get(a)!).add(b);
    }
  }
  return { violations, cycles: findCycles(graph), files: files.length, edges };
}

function ruleBroken(from: Room, to: Room): string | undefined {
  if (to.outside) return "production code must not import tests, bench or scripts; move what both need into a room";
  if (to.devOnly && !from.devOnly && !from.mayUseDev) return "production code must not import the dev room (the fake model and fixtures); only the demo may";
  if (from.path.startsWith(to.path) || to.path.startsWith(from.path)) return undefined; // a room and its sub-room
  if (to.layer > from.layer) return `an upward import (layer ${from.layer} → ${to.layer}); move the shared part down into a lower room`;
  if (to.layer === from.layer) return "a sideways import between peers; services talk through the generated clients, shared code goes down into shared/";
  return undefined;
}

function where(edge: ImportEdge): string {
  return `${edge.from}:${edge.line}`;
}

/** Every elementary cycle's first sighting from a depth-first walk, as "a → b → a". */
function findCycles(graph: Map<string, Set<string>>): string[] {
  const cycles = new Set<string>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (state.get(next) === "open") cycles.add([...stack.slice(stack.indexOf(next)), next].join(" → "));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return [...cycles];
}
