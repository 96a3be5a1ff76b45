import assert from "node:assert/strict";
import { encodeStatusRequest, parseStatusRequest, STATUS_REQUESTS } from "./status_request.ts";

Deno.test("a status request round-trips, plain or over HTTP", () => {
  for (const name of STATUS_REQUESTS) {
    assert.deepEqual(parseStatusRequest(encodeStatusRequest(name).slice(0, -1)), {
      http: false,
      what: name,
    });
    assert.deepEqual(parseStatusRequest(`GET /${name} HTTP/1.1`), { http: true, what: name });
  }
  assert.deepEqual(parseStatusRequest("GET / HTTP/1.0"), { http: true, what: "" });
  assert.deepEqual(parseStatusRequest("GET //x"), { http: true, what: "x" });
  assert.deepEqual(parseStatusRequest("queue_status extra"), {
    http: false,
    what: "queue_status extra",
  });
  for (const line of ["GET", "workqueue 9 h Linux x86_64 8.0.0", "", "get /queue_status"]) {
    assert.equal(parseStatusRequest(line), undefined, line);
  }
});
