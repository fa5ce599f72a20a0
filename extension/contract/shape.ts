// A language-neutral picture of a JSON value's schema, so TypeScript interfaces
// and OpenAPI schemas can be compared field by field.

export type Shape =
  | { kind: "string" | "number" | "boolean" | "unknown"; nullable: boolean }
  | { kind: "array"; items: Shape; nullable: boolean }
  | { kind: "object"; properties: Record<string, Property>; nullable: boolean };

export interface Property {
  shape: Shape;
  required: boolean;
  /** The server fills it in when absent (OpenAPI `default`). */
  hasDefault: boolean;
}

/** Requests are what the client sends; responses are what it must be ready to read. */
export type Direction = "request" | "response";

/** Every way `ts` (our type) and `api` (the served schema) disagree, as readable lines. */
export function shapeDiff(ts: Shape, api: Shape, direction: Direction, path = "$"): string[] {
  if (api.kind === "unknown" || ts.kind === "unknown") return [];
  if (ts.kind !== api.kind) return [`${path}: TypeScript has ${ts.kind}, the API has ${api.kind}`];
  const problems: string[] = [];
  if (direction === "response" && api.nullable && !ts.nullable) {
    problems.push(`${path}: the API may send null, the TypeScript type does not allow it`);
  }
  if (direction === "request" && ts.nullable && !api.nullable) {
    problems.push(`${path}: TypeScript may send null, the API does not accept it`);
  }
  if (ts.kind === "array" && api.kind === "array") {
    problems.push(...shapeDiff(ts.items, api.items, direction, `${path}[]`));
  }
  if (ts.kind === "object" && api.kind === "object") {
    problems.push(...propertiesDiff(ts.properties, api.properties, direction, path));
  }
  return problems;
}

function propertiesDiff(
  ts: Record<string, Property>,
  api: Record<string, Property>,
  direction: Direction,
  path: string,
): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(api)) {
    if (!(name in ts)) problems.push(`${path}.${name}: in the API, missing from TypeScript`);
  }
  for (const [name, ours] of Object.entries(ts)) {
    const theirs = api[name];
    const at = `${path}.${name}`;
    if (!theirs) {
      problems.push(`${at}: in TypeScript, not in the API`);
      continue;
    }
    if (direction === "request" && theirs.required && !ours.required) {
      problems.push(`${at}: the API requires it, TypeScript lets the client leave it out`);
    }
    if (direction === "response" && ours.required && !theirs.required && !theirs.hasDefault) {
      problems.push(`${at}: TypeScript expects it always, the API may leave it out`);
    }
    problems.push(...shapeDiff(ours.shape, theirs.shape, direction, at));
  }
  return problems;
}
