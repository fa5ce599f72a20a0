// Reads the interfaces of types/api.ts with the TypeScript compiler into Shapes.
import ts from "typescript";
import type { Property, Shape } from "./shape";

export class TypeScriptShapes {
  private readonly checker: ts.TypeChecker;
  private readonly exports: Map<string, ts.Symbol>;

  constructor(file: string) {
    const program = ts.createProgram([file], { strict: true, noEmit: true });
    this.checker = program.getTypeChecker();
    const source = program.getSourceFile(file);
    const module = source && this.checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`cannot read ${file}`);
    this.exports = new Map(this.checker.getExportsOfModule(module).map((s) => [s.name, s]));
  }

  shapeOf(name: string): Shape {
    const symbol = this.exports.get(name);
    if (!symbol) throw new Error(`types/api.ts exports no ${name}`);
    return this.toShape(this.checker.getDeclaredTypeOfSymbol(symbol));
  }

  private toShape(type: ts.Type): Shape {
    const parts = type.isUnion() ? type.types : [type];
    const nullable = parts.some((t) => t.flags & ts.TypeFlags.Null);
    const rest = parts.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    const flags = rest.reduce((all, t) => all | t.flags, 0);
    if (rest.length > 0 && rest.every((t) => t.flags & ts.TypeFlags.StringLike)) return { kind: "string", nullable };
    if (rest.length > 0 && rest.every((t) => t.flags & ts.TypeFlags.NumberLike)) return { kind: "number", nullable };
    if (rest.length > 0 && rest.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return { kind: "boolean", nullable };
    const [only] = rest;
    if (rest.length !== 1 || !only || !(flags & ts.TypeFlags.Object)) return { kind: "unknown", nullable };
    if (this.checker.isArrayType(only)) {
      const [item] = this.checker.getTypeArguments(only as ts.TypeReference);
      return { kind: "array", items: item ? this.toShape(item) : { kind: "unknown", nullable: false }, nullable };
    }
    const properties: Record<string, Property> = {};
    for (const property of this.checker.getPropertiesOfType(only)) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (!declaration) continue;
      properties[property.name] = {
        shape: this.toShape(this.checker.getTypeOfSymbolAtLocation(property, declaration)),
        required: !(property.flags & ts.SymbolFlags.Optional),
        hasDefault: false,
      };
    }
    return { kind: "object", properties, nullable };
  }
}
