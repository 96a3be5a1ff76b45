import assert from "node:assert/strict";
import { Advertiser, type AdvertiserOptions } from "./advertiser.ts";
import { WorkQueue } from "./work_queue.ts";

function options(extra: Partial<AdvertiserOptions> = {}): AdvertiserOptions {
  return {
    intervalSeconds: 60,
    tcp: false,
    record: () => ({ type: "wq_master" }),
    log: () => {},
    ...extra,
  };
}

Deno.test("Advertiser checks a catalog given in code at once, with a TypeError", () => {
  assert.throws(() => new Advertiser(options({ catalog: "a:b:c" })), TypeError);
  assert.throws(() => new Advertiser(options({ catalog: "h:0" })), /port 0 is out of range/);
  const a = new Advertiser(options({ catalog: "127.0.0.1:19097,cat.example" }));
  assert.deepEqual(a.catalogs, [
    { host: "127.0.0.1", port: 19097 },
    { host: "cat.example", port: 9097 },
  ]);
  assert.throws(() => a.setCatalog("x:70000"), TypeError);
  assert.deepEqual(
    a.catalogs[0],
    { host: "127.0.0.1", port: 19097 },
    "a refused change keeps the list",
  );
  a.setCatalog("127.0.0.1:1");
  assert.deepEqual(a.catalogs, [{ host: "127.0.0.1", port: 1 }]);
});

Deno.test("Advertiser logs a malformed CATALOG_HOST once instead of rejecting", async () => {
  const script = `
    import { Advertiser } from "./lib/manager/advertiser.ts";
    const lines = [];
    const a = new Advertiser({
      intervalSeconds: 60, tcp: false, record: () => ({}), log: (l, m) => lines.push(l + " " + m),
    });
    await a.update();
    await a.update();
    console.log(JSON.stringify(lines));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: new URL("../..", import.meta.url),
    env: { CATALOG_HOST: "a:b:c", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  assert.equal(out.code, 0, d.decode(out.stderr));
  assert.deepEqual(JSON.parse(d.decode(out.stdout)), [
    "warn cannot advertise to a catalog: Cannot use catalog 'a:b:c': expected HOST or HOST:PORT (CATALOG_HOST/CATALOG_PORT)",
    "debug cannot advertise to a catalog: Cannot use catalog 'a:b:c': expected HOST or HOST:PORT (CATALOG_HOST/CATALOG_PORT)",
  ]);
});

Deno.test("WorkQueue refuses a malformed catalog with a TypeError, before it listens", async () => {
  assert.throws(
    () => new WorkQueue({ port: 0, hostname: "127.0.0.1", name: "p", catalog: "a:b:c" }),
    TypeError,
  );
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  assert.throws(() => wq.specifyCatalogServer("127.0.0.1", 99999), TypeError);
});
