import assert from "node:assert/strict";
import { parseCatalogArgs, parseSeconds } from "./catalog_options.ts";

Deno.test("parseCatalogArgs() has CCTools' defaults: port 9097, all interfaces, 15 minutes", () => {
  const a = parseCatalogArgs([]);
  assert.equal(a.action, "serve");
  assert.ok(a.action === "serve");
  assert.equal(a.options.port, 9097);
  assert.equal(a.options.hostname, "0.0.0.0");
  assert.equal(a.options.lifetimeSeconds, 900);
  assert.equal(a.debug, false);
});

Deno.test("parseCatalogArgs() reads every option, short and long", () => {
  const a = parseCatalogArgs([
    "-p",
    "0",
    "-I",
    "127.0.0.1",
    "-l",
    "30m",
    "--max-update-bytes",
    "4096",
    "--update-rate",
    "0.5",
    "--update-burst",
    "3",
    "--max-records",
    "10",
    "--max-connections",
    "4",
    "-d",
  ]);
  assert.ok(a.action === "serve");
  assert.deepEqual(a.options, {
    port: 0,
    hostname: "127.0.0.1",
    lifetimeSeconds: 1800,
    maxUpdateBytes: 4096,
    updateRate: 0.5,
    updateBurst: 3,
    maxRecords: 10,
    maxConnections: 4,
  });
  assert.equal(a.debug, true);
  assert.deepEqual(parseCatalogArgs(["--port=19097", "--lifetime=60"]).action, "serve");
  assert.deepEqual(parseCatalogArgs(["-h"]), { action: "help" });
});

Deno.test("parseCatalogArgs() rejects bad values", () => {
  for (
    const bad of [
      ["-p", "65535"],
      ["-p", "x"],
      ["-p", "-1"],
      ["-l", "0"],
      ["-l", "soon"],
      ["--max-update-bytes", "1"],
      ["--update-burst", "0"],
      ["--bogus"],
      ["extra"],
    ]
  ) {
    assert.throws(() => parseCatalogArgs(bad), TypeError, bad.join(" "));
  }
  assert.equal(parseSeconds("2h", "-l"), 7200);
  assert.equal(parseSeconds("1.5", "-l"), 1.5);
});
