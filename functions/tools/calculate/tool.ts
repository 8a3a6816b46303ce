import { defineTool, ToolError } from 'mcp-cluster/tools';
import { z } from 'zod';

/*
 * A small recursive-descent evaluator; nothing here ever reaches eval, Function or a property lookup on a user name.
 *
 *   expression := additive
 *   additive   := multiplicative (('+' | '-') multiplicative)*
 *   multiplicative := unary (('*' | '/' | '%') unary)*
 *   unary      := ('-' | '+') unary | power
 *   power      := primary ('^' unary)?            right-associative: 2^3^2 = 2^(3^2); -2^2 = -(2^2)
 *   primary    := number | constant | function '(' expression (',' expression)* ')' | '(' expression ')'
 *
 * Positions in error messages count characters from 1.
 */

type Token =
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'name'; text: string; pos: number }
  | { kind: 'symbol'; text: string; pos: number }
  | { kind: 'invalid'; text: string; pos: number }
  | { kind: 'end'; text: ''; pos: number };

interface MathFunction {
  minArgs: number;
  maxArgs: number;
  apply(args: number[], pos: number): number;
}

const CONSTANTS = new Map<string, number>([
  ['pi', Math.PI],
  ['e', Math.E],
]);

function unary(fn: (x: number, pos: number) => number): MathFunction {
  return { minArgs: 1, maxArgs: 1, apply: (args, pos) => fn(args[0] as number, pos) };
}

function variadic(fn: (...xs: number[]) => number): MathFunction {
  return { minArgs: 1, maxArgs: Number.POSITIVE_INFINITY, apply: (args) => fn(...args) };
}

function mathError(message: string): ToolError {
  return new ToolError('MATH_ERROR', message);
}

function positiveOnly(name: string, fn: (x: number) => number) {
  return (x: number, pos: number) => {
    if (x <= 0) throw mathError(`${name}(${x}) at position ${pos} is undefined: ${name} needs a positive argument.`);
    return fn(x);
  };
}

function sqrt(x: number, pos: number): number {
  if (x < 0) throw mathError(`sqrt(${x}) at position ${pos} is not a real number: the argument is negative.`);
  return Math.sqrt(x);
}

// A Map, not an object literal: names like "constructor" or "__proto__" must not find anything.
const FUNCTIONS = new Map<string, MathFunction>([
  ['sqrt', unary(sqrt)],
  ['abs', unary(Math.abs)],
  ['round', unary(Math.round)],
  ['floor', unary(Math.floor)],
  ['ceil', unary(Math.ceil)],
  ['min', variadic(Math.min)],
  ['max', variadic(Math.max)],
  ['log', unary(positiveOnly('log', Math.log10))],
  ['ln', unary(positiveOnly('ln', Math.log))],
  ['exp', unary(Math.exp)],
  ['sin', unary(Math.sin)],
  ['cos', unary(Math.cos)],
  ['tan', unary(Math.tan)],
]);

const SYMBOLS = new Set(['+', '-', '*', '/', '%', '^', '(', ')', ',']);
const NUMBER_PATTERN = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*/;
const KNOWN_NAMES = `the constants pi and e, and the functions ${[...FUNCTIONS.keys()].join(', ')}`;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index] as string;
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    const pos = index + 1;
    const rest = source.slice(index);
    const number = NUMBER_PATTERN.exec(rest)?.[0];
    const name = number ? undefined : NAME_PATTERN.exec(rest)?.[0];
    if (number) tokens.push({ kind: 'number', value: Number(number), text: number, pos });
    else if (name) tokens.push({ kind: 'name', text: name, pos });
    else if (SYMBOLS.has(char)) tokens.push({ kind: 'symbol', text: char, pos });
    else tokens.push({ kind: 'invalid', text: char, pos });
    index += number?.length ?? name?.length ?? 1;
  }
  tokens.push({ kind: 'end', text: '', pos: source.length + 1 });
  return tokens;
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'end of expression';
  return `"${token.text}"`;
}

function unexpected(token: Token, expected: string): ToolError {
  return new ToolError(
    'INVALID_EXPRESSION',
    `Unexpected ${describe(token)} at position ${token.pos}: expected ${expected}.`,
  );
}

const OPERAND = 'a number, pi, e, a function such as sqrt(...), "(" or "-"';

function checked(value: number, what: string, pos: number): number {
  if (Number.isNaN(value)) throw mathError(`${what} at position ${pos} is not a real number.`);
  if (!Number.isFinite(value)) throw mathError(`${what} at position ${pos} is too large to represent (overflow).`);
  return value;
}

class Parser {
  #tokens: Token[];
  #index = 0;

  constructor(source: string) {
    this.#tokens = tokenize(source);
  }

  parse(): number {
    const value = this.#additive();
    const next = this.#peek();
    if (next.kind !== 'end') {
      throw unexpected(next, next.text === ')' ? 'no ")" here: it has no matching "("' : 'an operator or the end');
    }
    return value;
  }

  #peek(): Token {
    return this.#tokens[this.#index] as Token;
  }

  #next(): Token {
    const token = this.#peek();
    if (token.kind !== 'end') this.#index += 1;
    return token;
  }

  #isSymbol(...symbols: string[]): boolean {
    const token = this.#peek();
    return token.kind === 'symbol' && symbols.includes(token.text);
  }

  #expect(symbol: string, expected: string): void {
    if (!this.#isSymbol(symbol)) throw unexpected(this.#peek(), expected);
    this.#next();
  }

  #additive(): number {
    let value = this.#multiplicative();
    while (this.#isSymbol('+', '-')) {
      const operator = this.#next();
      const right = this.#multiplicative();
      value = operator.text === '+' ? value + right : value - right;
      checked(value, `The ${operator.text === '+' ? 'sum' : 'difference'}`, operator.pos);
    }
    return value;
  }

  #multiplicative(): number {
    let value = this.#unary();
    while (this.#isSymbol('*', '/', '%')) {
      const operator = this.#next();
      const right = this.#unary();
      value = multiply(operator, value, right);
    }
    return value;
  }

  #unary(): number {
    if (this.#isSymbol('-')) {
      this.#next();
      return -this.#unary();
    }
    if (this.#isSymbol('+')) {
      this.#next();
      return this.#unary();
    }
    return this.#power();
  }

  #power(): number {
    const base = this.#primary();
    if (!this.#isSymbol('^')) return base;
    const operator = this.#next();
    const exponent = this.#unary();
    return checked(base ** exponent, `${base}^${exponent}`, operator.pos);
  }

  #primary(): number {
    const token = this.#next();
    if (token.kind === 'number') return token.value;
    if (token.kind === 'name') return this.#name(token);
    if (token.kind === 'symbol' && token.text === '(') {
      const value = this.#additive();
      this.#expect(')', 'an operator or ")"');
      return value;
    }
    throw unexpected(token, OPERAND);
  }

  #name(token: Token & { kind: 'name' }): number {
    const key = token.text.toLowerCase();
    const constant = CONSTANTS.get(key);
    if (constant !== undefined) return constant;
    const fn = FUNCTIONS.get(key);
    if (!fn) {
      throw new ToolError(
        'INVALID_EXPRESSION',
        `Unknown name "${token.text}" at position ${token.pos}: only ${KNOWN_NAMES} are available.`,
      );
    }
    this.#expect('(', `"(" after the function ${key}`);
    const args = [this.#additive()];
    while (this.#isSymbol(',')) {
      this.#next();
      args.push(this.#additive());
    }
    this.#expect(')', 'an operator, "," or ")"');
    return callFunction(key, fn, args, token.pos);
  }
}

function multiply(operator: Token, left: number, right: number): number {
  if (operator.text === '*') return checked(left * right, 'The product', operator.pos);
  if (right === 0) {
    const what = operator.text === '/' ? 'Division' : 'Remainder (%)';
    throw mathError(`${what} by zero at position ${operator.pos}.`);
  }
  const value = operator.text === '/' ? left / right : left % right;
  return checked(value, operator.text === '/' ? 'The quotient' : 'The remainder', operator.pos);
}

function callFunction(name: string, fn: MathFunction, args: number[], pos: number): number {
  if (args.length < fn.minArgs || args.length > fn.maxArgs) {
    const expected = fn.minArgs === fn.maxArgs ? `exactly ${fn.minArgs}` : `at least ${fn.minArgs}`;
    throw new ToolError(
      'INVALID_EXPRESSION',
      `The function ${name} at position ${pos} takes ${expected} argument(s), got ${args.length}.`,
    );
  }
  return checked(fn.apply(args, pos), `${name}(${args.join(', ')})`, pos);
}

/** Float noise such as 0.1 + 0.2 = 0.30000000000000004 is trimmed to 15 significant digits. */
function tidy(value: number): number {
  const rounded = Number(value.toPrecision(15));
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** Evaluates an arithmetic expression; throws ToolError INVALID_EXPRESSION or MATH_ERROR. */
export function evaluate(expression: string): number {
  const value = new Parser(expression).parse();
  return tidy(checked(value, 'The result', 1));
}

export default defineTool({
  name: 'calculate',
  title: 'Calculator',
  description: `
Evaluates an arithmetic expression exactly and returns the numeric result. Use it instead of doing arithmetic in your
head whenever a number matters (totals, percentages, unit conversions, compound growth).
Supports numbers (3, 2.5, .5, 1e-3), + - * / % (remainder), ^ (power, right-associative), parentheses, unary minus,
the constants pi and e, and the functions sqrt, abs, round, floor, ceil, min(a, b, ...), max(a, b, ...), log (base 10),
ln (natural log), exp, sin, cos, tan (radians). No variables, units or implicit multiplication: write 2*pi, not 2pi.
Returns { expression, result }; results are rounded to 15 significant digits. A syntax problem fails with
INVALID_EXPRESSION naming the character position (counted from 1); division by zero or a result that is not a finite
real number fails with MATH_ERROR.`,
  input: z.object({
    expression: z
      .string()
      .min(1)
      .max(500)
      .describe('The expression to evaluate, e.g. "(1250 * 0.2) + 3^2" or "sqrt(2) * sin(pi / 4)".'),
  }),
  output: z.object({
    expression: z.string().describe('The expression as given.'),
    result: z.number().describe('Its value.'),
  }),
  annotations: { title: 'Calculator', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async run({ expression }) {
    return { expression, result: evaluate(expression) };
  },
});
