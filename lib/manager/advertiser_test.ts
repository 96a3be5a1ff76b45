import assert from "node:assert/strict";
import { denoOutput } from "./_run_deno.ts";
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
  const out = await denoOutput(["eval", "--ext=ts", script], { env: { CATALOG_HOST: "a:b:c" } });
  assert.deepEqual(JSON.parse(out), [
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

Deno.test("Advertiser sends over TCP unless CATALOG_UPDATE_PROTOCOL=udp or the option says so", async () => {
  async function transport(env: Record<string, string>, tcp?: boolean): Promise<string> {
    const script = `
      import { Advertiser } from "./lib/manager/advertiser.ts";
      const a = new Advertiser({
        intervalSeconds: 60, ${tcp === undefined ? "" : `tcp: ${tcp},`}
        record: () => ({}), log: (l, m) => console.log(l + " " + m),
      });
      console.log(a.tcp ? "tcp" : "udp");
    `;
    return await denoOutput(["eval", "--ext=ts", script], { env });
  }
  assert.equal(await transport({}), "tcp");
  assert.equal(await transport({ CATALOG_UPDATE_PROTOCOL: "udp" }), "udp");
  assert.equal(await transport({ CATALOG_UPDATE_PROTOCOL: "TCP" }), "tcp");
  assert.equal(await transport({ CATALOG_UPDATE_PROTOCOL: "udp" }, true), "tcp", "the option wins");
  assert.equal(await transport({}, false), "udp");
  assert.equal(
    await transport({ CATALOG_UPDATE_PROTOCOL: "sctp" }),
    "warn ignoring CATALOG_UPDATE_PROTOCOL='sctp': expected 'tcp' or 'udp'; catalog updates go over TCP\ntcp",
  );
});
