import assert from "node:assert/strict";
import { Task } from "../task.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { TaskList } from "./task_list.ts";

function tasks(n: number): Task[] {
  return Array.from({ length: n }, (_, i) => new Task(`echo ${i}`));
}

Deno.test("TaskList removes from the head, middle and tail and keeps order", () => {
  const l = new TaskList();
  const [a, b, c, d] = tasks(4);
  for (const t of [a, b, c, d]) l.push(t);
  assert.ok(l.delete(b));
  assert.ok(!l.delete(b));
  assert.deepEqual([...l], [a, c, d]);
  l.delete(a);
  l.delete(d);
  assert.deepEqual([...l], [c]);
  assert.equal(l.first(), c);
  l.delete(c);
  assert.equal(l.size, 0);
  assert.equal(l.first(), undefined);
  l.push(a);
  assert.deepEqual([...l], [a]);
});

Deno.test("TaskList moves a task out of its other list", () => {
  const one = new TaskList(), two = new TaskList();
  const [a, b] = tasks(2);
  one.push(a);
  one.push(b);
  two.push(a);
  assert.deepEqual([...one], [b]);
  assert.deepEqual([...two], [a]);
  assert.ok(two.has(a) && !one.has(a));
});

Deno.test("ReadyQueue finds a task whose priority changed while it waited", () => {
  const q = new ReadyQueue();
  const [a, b, c] = tasks(3);
  c.priority = 9;
  q.add(a);
  q.add(b);
  q.add(c);
  assert.deepEqual([...q], [c, a, b]);
  a.priority = 3; // changed after it was queued
  assert.ok(q.delete(a));
  assert.deepEqual([...q], [c, b]);
  q.delete(c);
  assert.equal(q.size, 1);
  assert.deepEqual([...q], [b]);
});

Deno.test("ReadyQueue iteration costs the same after many removals from its front", () => {
  const q = new ReadyQueue();
  const all = tasks(20_000);
  for (const t of all) q.add(t);
  for (const t of all.slice(0, 19_990)) q.delete(t);
  // Only the 10 queued tasks are visited: no holes left by the removed ones.
  let visited = 0;
  for (const _ of q) visited++;
  assert.equal(visited, 10);
  assert.equal([...q][0], all[19_990]);
});
