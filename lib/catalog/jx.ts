/**
 * The subset of CCTools' JX expression language that catalog clients send as
 * query filters (`/query/<base64 expr>`): literals (`true`, `false`, `null`,
 * numbers, double-quoted strings, `[arrays]`), identifiers naming record
 * fields, comparison (`== != < <= > >=`), arithmetic (`+ - * / %`), boolean
 * operators (`and or not`, also `&& || !`) and parentheses.
 *
 * Precedence, lowest first: `or`, `and`, `== !=`, `< <= > >=`, `+ -`,
 * `* / %`, then the prefix operators `not ! -`. So
 * `true and type=="wq_manager" or type=="wq_master"` (what
 * `work_queue_status` sends) means `(true and …) or …`, and, as in JX,
 * `not a == b` means `(not a) == b`.
 *
 * Evaluation follows JX: a type mismatch (`"a" < 1`, `not "x"`, `1 and true`)
 * is an error, and a record matches only if the expression is exactly
 * `true`. One difference: a field the record lacks is `null` here, where JX
 * calls it an error, so `missing == null` matches.
 *
 * @module
 */

/** A JX value: what JSON can hold. */
export type JxValue = null | boolean | number | string | JxValue[] | { [k: string]: JxValue };

/** A parsed expression (an abstract syntax tree). */
export type JxExpr =
  | { kind: "literal"; value: JxValue }
  | { kind: "field"; name: string }
  | { kind: "array"; items: JxExpr[] }
  | { kind: "unary"; op: "not" | "neg"; arg: JxExpr }
  | { kind: "binary"; op: BinaryOp; left: JxExpr; right: JxExpr };

/** The binary operators. */
export type BinaryOp =
  | "or"
  | "and"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "+"
  | "-"
  | "*"
  | "/"
  | "%";

/** The longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 16_384;
/** The deepest nesting accepted (parentheses, prefix operators, arrays). */
const MAX_DEPTH = 100;

type Token =
  | { t: "num"; v: number; at: number }
  | { t: "str"; v: string; at: number }
  | { t: "id"; v: string; at: number }
  | { t: "op"; v: string; at: number }
  | { t: "end"; at: number };

const OPERATORS = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "<",
  ">",
  "!",
  "(",
  ")",
  "[",
  "]",
  ",",
  "+",
  "-",
  "*",
  "/",
  "%",
];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (num) {
      out.push({ t: "num", v: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    if (c === '"') {
      const end = stringEnd(text, i);
      let v: unknown;
      try {
        v = JSON.parse(text.slice(i, end));
      } catch (e) {
        throw new SyntaxError(`Cannot parse expression: bad string at offset ${i}`, { cause: e });
      }
      out.push({ t: "str", v: v as string, at: i });
      i = end;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 256));
    if (id) {
      out.push({ t: "id", v: id[0], at: i });
      i += id[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new SyntaxError(`Cannot parse expression: unexpected '${c}' at offset ${i}`);
    out.push({ t: "op", v: op, at: i });
    i += op.length;
  }
  out.push({ t: "end", at: text.length });
  return out;
}

/** The offset just past the closing quote of the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  throw new SyntaxError(`Cannot parse expression: unterminated string at offset ${start}`);
}

const LEVELS: { ops: Record<string, BinaryOp> }[] = [
  { ops: { or: "or", "||": "or" } },
  { ops: { and: "and", "&&": "and" } },
  { ops: { "==": "==", "!=": "!=" } },
  { ops: { "<": "<", "<=": "<=", ">": ">", ">=": ">=" } },
  { ops: { "+": "+", "-": "-" } },
  { ops: { "*": "*", "/": "/", "%": "%" } },
];

class Parser {
  #tokens: Token[];
  #pos = 0;
  #depth = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  parse(): JxExpr {
    const e = this.#binary(0);
    const t = this.#peek();
    if (t.t !== "end") throw this.#unexpected(t);
    return e;
  }

  #peek(): Token {
    return this.#tokens[this.#pos];
  }

  #next(): Token {
    return this.#tokens[this.#pos++];
  }

  #unexpected(t: Token): SyntaxError {
    const what = t.t === "end" ? "end of expression" : `'${"v" in t ? t.v : ""}'`;
    return new SyntaxError(`Cannot parse expression: unexpected ${what} at offset ${t.at}`);
  }

  #enter(): void {
    if (++this.#depth > MAX_DEPTH) {
      throw new SyntaxError(`Cannot parse expression: nested deeper than ${MAX_DEPTH}`);
    }
  }

  #binaryOp(level: number): BinaryOp | undefined {
    const t = this.#peek();
    if (t.t !== "op" && t.t !== "id") return undefined;
    return Object.hasOwn(LEVELS[level].ops, t.v) ? LEVELS[level].ops[t.v] : undefined;
  }

  #binary(level: number): JxExpr {
    if (level === LEVELS.length) return this.#unary();
    let left = this.#binary(level + 1);
    for (let op = this.#binaryOp(level); op; op = this.#binaryOp(level)) {
      this.#next();
      left = { kind: "binary", op, left, right: this.#binary(level + 1) };
    }
    return left;
  }

  #unary(): JxExpr {
    const t = this.#peek();
    if ((t.t === "op" && (t.v === "!" || t.v === "-")) || (t.t === "id" && t.v === "not")) {
      this.#next();
      this.#enter();
      const arg = this.#unary();
      this.#depth--;
      return { kind: "unary", op: t.v === "-" ? "neg" : "not", arg };
    }
    return this.#primary();
  }

  #primary(): JxExpr {
    const t = this.#next();
    switch (t.t) {
      case "num":
      case "str":
        return { kind: "literal", value: t.v };
      case "id":
        if (t.v === "true") return { kind: "literal", value: true };
        if (t.v === "false") return { kind: "literal", value: false };
        if (t.v === "null") return { kind: "literal", value: null };
        if (t.v === "and" || t.v === "or" || t.v === "not") throw this.#unexpected(t);
        return { kind: "field", name: t.v };
      case "op":
        if (t.v === "(") {
          this.#enter();
          const e = this.#binary(0);
          this.#depth--;
          const close = this.#next();
          if (close.t !== "op" || close.v !== ")") throw this.#unexpected(close);
          return e;
        }
        if (t.v === "[") return this.#array();
        throw this.#unexpected(t);
      default:
        throw this.#unexpected(t);
    }
  }

  #array(): JxExpr {
    this.#enter();
    const items: JxExpr[] = [];
    const first = this.#peek();
    if (first.t === "op" && first.v === "]") {
      this.#next();
    } else {
      for (;;) {
        items.push(this.#binary(0));
        const t = this.#next();
        if (t.t === "op" && t.v === "]") break;
        if (t.t !== "op" || t.v !== ",") throw this.#unexpected(t);
      }
    }
    this.#depth--;
    return { kind: "array", items };
  }
}

/**
 * Parses a JX expression.
 *
 * @param text The expression, for example `type=="wq_master" and port > 0`.
 * @returns Its syntax tree.
 * @throws {SyntaxError} If the text is not an expression of the subset.
 * @throws {RangeError} If it is longer than {@linkcode MAX_EXPRESSION_LENGTH}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJx } from "./jx.ts";
 * const e = parseJx('true and type=="wq_manager" or type=="wq_master"');
 * assert.equal(e.kind, "binary");
 * assert.equal(e.kind === "binary" && e.op, "or"); // "and" binds tighter
 * ```
 */
export function parseJx(text: string): JxExpr {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new RangeError(
      `Cannot parse expression: it is ${text.length} characters long, more than ${MAX_EXPRESSION_LENGTH}`,
    );
  }
  return new Parser(tokenize(text)).parse();
}

/** What evaluation gives for a type error: the record does not match. */
export const JX_ERROR: unique symbol = Symbol("jx error");

type Result = JxValue | typeof JX_ERROR;

function equal(a: JxValue, b: JxValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  const ka = Object.keys(a), kb = Object.keys(b as object);
  const bo = b as Record<string, JxValue>, ao = a as Record<string, JxValue>;
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(bo, k) && equal(ao[k], bo[k]));
}

function compare(op: BinaryOp, a: JxValue, b: JxValue): Result {
  const ok = (typeof a === "number" && typeof b === "number") ||
    (typeof a === "string" && typeof b === "string");
  if (!ok) return JX_ERROR;
  const x = a as number | string, y = b as number | string;
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    default:
      return x >= y;
  }
}

function arithmetic(op: BinaryOp, a: JxValue, b: JxValue): Result {
  if (op === "+" && typeof a === "string" && typeof b === "string") return a + b;
  if (typeof a !== "number" || typeof b !== "number") return JX_ERROR;
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0 ? JX_ERROR : a / b;
    default:
      return b === 0 ? JX_ERROR : a % b;
  }
}

/**
 * Evaluates an expression against a record (its fields are the identifiers).
 *
 * @param expr A parsed expression.
 * @param record The record.
 * @returns The value, or {@linkcode JX_ERROR} for a type error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evalJx, parseJx } from "./jx.ts";
 * assert.equal(evalJx(parseJx("tasks_waiting + 1"), { tasks_waiting: 2 }), 3);
 * ```
 */
export function evalJx(expr: JxExpr, record: Readonly<Record<string, unknown>>): Result {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "field": {
      const v = Object.hasOwn(record, expr.name) ? record[expr.name] : undefined;
      return v === undefined ? null : v as JxValue;
    }
    case "array": {
      const items: JxValue[] = [];
      for (const item of expr.items) {
        const v = evalJx(item, record);
        if (v === JX_ERROR) return JX_ERROR;
        items.push(v);
      }
      return items;
    }
    case "unary": {
      const v = evalJx(expr.arg, record);
      if (expr.op === "not") return typeof v === "boolean" ? !v : JX_ERROR;
      return typeof v === "number" ? -v : JX_ERROR;
    }
    case "binary": {
      const a = evalJx(expr.left, record);
      if (a === JX_ERROR) return JX_ERROR;
      if (expr.op === "and" || expr.op === "or") {
        if (typeof a !== "boolean") return JX_ERROR;
        if (expr.op === "and" ? !a : a) return a;
        const b = evalJx(expr.right, record);
        return typeof b === "boolean" ? b : JX_ERROR;
      }
      const b = evalJx(expr.right, record);
      if (b === JX_ERROR) return JX_ERROR;
      switch (expr.op) {
        case "==":
          return equal(a, b);
        case "!=":
          return !equal(a, b);
        case "<":
        case "<=":
        case ">":
        case ">=":
          return compare(expr.op, a, b);
        default:
          return arithmetic(expr.op, a, b);
      }
    }
  }
}

/**
 * Whether a record matches a filter: the expression evaluates to `true`.
 *
 * @param expr A parsed expression.
 * @param record The record.
 * @returns True only for a `true` result (not for errors or other values).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchesJx, parseJx } from "./jx.ts";
 * const e = parseJx('type=="wq_master"');
 * assert.equal(matchesJx(e, { type: "wq_master" }), true);
 * assert.equal(matchesJx(e, { type: "catalog" }), false);
 * ```
 */
export function matchesJx(expr: JxExpr, record: Readonly<Record<string, unknown>>): boolean {
  return evalJx(expr, record) === true;
}
