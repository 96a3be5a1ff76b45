import assert from "node:assert/strict";
import { demand, poolTarget } from "./pool.ts";

Deno.test("demand() adds waiting and running tasks of matching managers only", () => {
  const records = [
    { type: "wq_master", project: "sim-a", tasks_waiting: 5, tasks_running: 2 },
    { type: "wq_master", project: "sim-b", tasks_waiting: 1, tasks_running: 0 },
    { type: "wq_master", project: "other", tasks_waiting: 100, tasks_running: 0 },
    { type: "wq_worker", project: "sim-a", tasks_waiting: 9 },
  ];
  assert.equal(demand(records, "sim-.*"), 8);
  assert.equal(demand(records, "sim"), 0);
});

Deno.test("poolTarget() clamps the demand to [min, max]", () => {
  assert.equal(poolTarget(0, 1, 4), 1);
  assert.equal(poolTarget(3, 1, 4), 3);
  assert.equal(poolTarget(30, 1, 4), 4);
});
