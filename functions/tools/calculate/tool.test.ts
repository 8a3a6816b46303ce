import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTool } from 'mcp-cluster/tools';
import calculate from './tool.js';

type Output = { expression: string; result: number };

async function calc(expression: string): Promise<number> {
  const output = await runTool<Output>(calculate, { expression });
  assert.equal(output.expression, expression);
  return output.result;
}

function rejectsWith(expression: string, code: string, message?: RegExp): Promise<void> {
  return assert.rejects(runTool(calculate, { expression }), {
    name: 'ToolError',
    code,
    retryable: false,
    ...(message ? { message } : {}),
  });
}

describe('calculate', () => {
  it('is named after its folder and is declared pure', () => {
    assert.equal(calculate.name, 'calculate');
    assert.deepEqual(calculate.scopes, []);
    assert.deepEqual(calculate.secrets, {});
    assert.equal(calculate.annotations?.readOnlyHint, true);
    assert.equal(calculate.annotations?.idempotentHint, true);
    assert.equal(calculate.annotations?.openWorldHint, false);
  });

  it('returns the expression and its value', async () => {
    assert.deepEqual(await runTool(calculate, { expression: '1 + 2' }), { expression: '1 + 2', result: 3 });
  });

  it('applies * / % before + and -', async () => {
    assert.equal(await calc('2 + 3 * 4'), 14);
    assert.equal(await calc('10 - 6 / 2'), 7);
    assert.equal(await calc('7 + 10 % 4'), 9);
    assert.equal(await calc('10 - 4 - 3'), 3);
    assert.equal(await calc('64 / 4 / 2'), 8);
  });

  it('lets parentheses override precedence', async () => {
    assert.equal(await calc('(2 + 3) * 4'), 20);
    assert.equal(await calc('((1 + 1) * (2 + 2)) ^ 2'), 64);
  });

  it('treats ^ as right-associative and binding tighter than unary minus', async () => {
    assert.equal(await calc('2 ^ 3 ^ 2'), 512);
    assert.equal(await calc('-2 ^ 2'), -4);
    assert.equal(await calc('(-2) ^ 2'), 4);
    assert.equal(await calc('2 ^ -1'), 0.5);
    assert.equal(await calc('2 * 3 ^ 2'), 18);
  });

  it('handles unary minus and plus, also stacked', async () => {
    assert.equal(await calc('-3 + 5'), 2);
    assert.equal(await calc('4 * -2'), -8);
    assert.equal(await calc('--3'), 3);
    assert.equal(await calc('+4 - -1'), 5);
    assert.equal(await calc('-(2 + 3)'), -5);
  });

  it('reads decimals and exponent notation', async () => {
    assert.equal(await calc('0.5 + .25'), 0.75);
    assert.equal(await calc('1e3 + 2.5E-1'), 1000.25);
    assert.equal(await calc('6.02e+23 / 1e23'), 6.02);
  });

  it('trims floating-point noise to 15 significant digits', async () => {
    assert.equal(await calc('0.1 + 0.2'), 0.3);
    assert.equal(await calc('1 - 0.9'), 0.1);
  });

  it('knows the functions and constants', async () => {
    assert.equal(await calc('sqrt(16) + abs(-3)'), 7);
    assert.equal(await calc('round(2.5) + floor(2.7) + ceil(2.1)'), 8);
    assert.equal(await calc('min(4, 2, 8) + max(1, 9)'), 11);
    assert.equal(await calc('log(1000)'), 3);
    assert.equal(await calc('ln(e ^ 2)'), 2);
    assert.equal(await calc('exp(0)'), 1);
    assert.equal(await calc('sin(pi / 2) + cos(0) + tan(0)'), 2);
    assert.equal(await calc('2 * pi'), 6.28318530717959);
    assert.equal(await calc('SQRT(4) * PI / pi'), 2);
  });

  it('reports an unexpected character with its position', async () => {
    await rejectsWith('2 + 3x', 'INVALID_EXPRESSION', /^Unexpected "x" at position 6: expected an operator/);
    await rejectsWith('2 * * 3', 'INVALID_EXPRESSION', /^Unexpected "\*" at position 5: expected a number/);
    await rejectsWith('4 # 2', 'INVALID_EXPRESSION', /^Unexpected "#" at position 3/);
  });

  it('reports an incomplete expression or unbalanced parentheses', async () => {
    await rejectsWith('1 +', 'INVALID_EXPRESSION', /^Unexpected end of expression at position 4/);
    await rejectsWith('(1 + 2', 'INVALID_EXPRESSION', /^Unexpected end of expression at position 7: expected .*"\)"/);
    await rejectsWith('1 + 2)', 'INVALID_EXPRESSION', /^Unexpected "\)" at position 6: .*no matching "\("/);
    await rejectsWith('()', 'INVALID_EXPRESSION', /^Unexpected "\)" at position 2/);
  });

  it('rejects a function called with the wrong number of arguments or without parentheses', async () => {
    await rejectsWith('sqrt(1, 2)', 'INVALID_EXPRESSION', /sqrt at position 1 takes exactly 1 argument\(s\), got 2/);
    await rejectsWith(
      'sqrt 4',
      'INVALID_EXPRESSION',
      /^Unexpected "4" at position 6: expected "\(" after the function/,
    );
  });

  it('rejects names that are not its own, such as constructor, process.exit(1) or __proto__', async () => {
    await rejectsWith('constructor', 'INVALID_EXPRESSION', /^Unknown name "constructor" at position 1/);
    await rejectsWith('process.exit(1)', 'INVALID_EXPRESSION', /^Unknown name "process" at position 1/);
    await rejectsWith('1 + __proto__', 'INVALID_EXPRESSION', /^Unknown name "__proto__" at position 5/);
    await rejectsWith('toString()', 'INVALID_EXPRESSION', /^Unknown name "toString"/);
    await rejectsWith('Math.PI', 'INVALID_EXPRESSION', /^Unknown name "Math"/);
    await rejectsWith('x = 1', 'INVALID_EXPRESSION', /^Unknown name "x"/);
    await rejectsWith('"1" + 1', 'INVALID_EXPRESSION', /^Unexpected """ at position 1/);
  });

  it('fails with MATH_ERROR on division or remainder by zero', async () => {
    await rejectsWith('1 / 0', 'MATH_ERROR', /^Division by zero at position 3/);
    await rejectsWith('5 % (2 - 2)', 'MATH_ERROR', /^Remainder \(%\) by zero at position 3/);
  });

  it('fails with MATH_ERROR when a result is not a finite real number', async () => {
    await rejectsWith('10 ^ 400', 'MATH_ERROR', /overflow/);
    await rejectsWith('sqrt(-1)', 'MATH_ERROR', /not a real number/);
    await rejectsWith('ln(0)', 'MATH_ERROR', /positive argument/);
    await rejectsWith('(-8) ^ (1 / 3)', 'MATH_ERROR', /not a real number/);
    await rejectsWith('exp(1000)', 'MATH_ERROR', /overflow/);
  });

  it('rejects an empty or overlong expression at the schema', () => {
    const empty = calculate.input.safeParse({ expression: '' });
    assert.equal(empty.success, false);
    assert.deepEqual(empty.error?.issues[0]?.path, ['expression']);
    const long = calculate.input.safeParse({ expression: '1+'.repeat(250) + '1' });
    assert.equal(long.success, false);
    assert.deepEqual(long.error?.issues[0]?.path, ['expression']);
    assert.equal(calculate.input.safeParse({}).error?.issues[0]?.path[0], 'expression');
  });

  it('copes with deep nesting within the length limit', async () => {
    assert.equal(await calc(`${'('.repeat(240)}7${')'.repeat(240)}`), 7);
    assert.equal(await calc(`${'-'.repeat(499)}1`), -1);
  });
});
