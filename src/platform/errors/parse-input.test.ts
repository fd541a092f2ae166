import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { AppError } from './app-error.ts';
import { parseInput } from './parse-input.ts';

const schema = z.strictObject({
  name: z.string(),
  owner: z.strictObject({ id: z.string() }),
  tags: z.array(z.string()).optional(),
});

function problemsOf(input: unknown) {
  try {
    parseInput(schema, input);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'request.invalid_input');
    return (err.details as { fields: { field: string; problem: string }[] }).fields;
  }
  assert.fail('the input was accepted');
}

test('a 400 names every field in trouble: missing ones as required, unknown keys one by one', () => {
  assert.deepEqual(problemsOf({ owner: {}, extra: 1, more: 2 }), [
    { field: 'name', problem: 'is required' },
    { field: 'owner.id', problem: 'is required' },
    { field: 'extra', problem: 'is not a known field' },
    { field: 'more', problem: 'is not a known field' },
  ]);
});

test('a member of the wrong type keeps the validator’s message; a body that is not an object names the body', () => {
  const [wrong] = problemsOf({ name: 5, owner: { id: 'x' } });
  assert.equal(wrong!.field, 'name');
  assert.match(wrong!.problem, /expected string, received number/);
  assert.equal(problemsOf('text')[0]!.field, '(body)');
});

test('valid input comes back parsed', () => {
  assert.deepEqual(parseInput(schema, { name: 'a', owner: { id: 'b' } }), { name: 'a', owner: { id: 'b' } });
});
