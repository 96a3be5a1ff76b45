import assert from "node:assert/strict";
import type { CatalogRecord } from "./client.ts";
import { formatTable, MANAGER_COLUMNS } from "./status_table.ts";
import { branch, managerTree, type TreeRow } from "./status_tree.ts";

function shape(rows: TreeRow[]): string[] {
  return rows.map((r) => branch(String(r.record.project), r.depth));
}

const byProject = (a: CatalogRecord, b: CatalogRecord) =>
  String(a.project).localeCompare(String(b.project));

Deno.test("managerTree() puts foremen under their managers, as work_queue_status does", () => {
  // As our catalog stamps loopback senders: name "localhost", address "127.0.0.1".
  const at = (project: string, port: number, up?: string): CatalogRecord => ({
    project,
    name: "localhost",
    address: "127.0.0.1",
    port,
    ...(up ? { my_manager: up } : {}),
  });
  const records = [
    at("zz-top", 9000),
    at("fm-b", 1025, "127.0.0.1:9000"),
    at("fm-a", 1024, "127.0.0.1:9000"),
    at("leaf", 9100, "127.0.0.1:1024"),
    at("alone", 9200),
    at("cctools-none", 9300, "127.0.0.1:-1"), // a foreman with no manager
  ];
  const rows = managerTree(records, { compare: byProject });
  assert.deepEqual(shape(rows), ["alone", "cctools-none", "zz-top", ">fm-a", "->leaf", ">fm-b"]);
  const table = formatTable(
    MANAGER_COLUMNS,
    rows.map((r) => ({ ...r.record, project: branch(String(r.record.project), r.depth) })),
  );
  assert.match(
    table,
    /\nzz-top +localhost:9000 [^\n]*\n>fm-a +localhost:1024 [^\n]*\n->leaf +localhost:9100 /,
  );
});

Deno.test("managerTree() matches my_manager against name, address, interfaces and resolved names", () => {
  const top = {
    project: "top",
    name: "head.example.org",
    address: "192.0.2.10",
    port: 9123,
    network_interfaces: [{ interface: "eth1", host: "10.1.0.1" }, { address: "10.2.0.1" }],
  };
  const cases: [string, string][] = [
    ["by-address", "192.0.2.10:9123"],
    ["by-name", "head.example.org:9123"],
    ["by-interface-host", "10.1.0.1:9123"],
    ["by-interface-address", "10.2.0.1:9123"],
    ["by-resolved-name", "198.51.100.7:9123"],
  ];
  const resolved = new Map([["head.example.org", ["198.51.100.7"]]]);
  for (const [project, up] of cases) {
    const rows = managerTree([top, { project, port: 1, my_manager: up }], { resolved });
    assert.deepEqual(shape(rows), ["top", `>${project}`], project);
  }
  // Another port, or a name not resolved: not its manager, so shown at the top.
  for (const up of ["192.0.2.10:9124", "198.51.100.7:9123"]) {
    const rows = managerTree([top, { project: "fm", port: 1, my_manager: up }]);
    assert.deepEqual(shape(rows), ["top", "fm"], up);
  }
});

Deno.test("managerTree() keeps a chosen manager with its foremen, and survives cycles", () => {
  const r = (project: string, port: number, up: number): CatalogRecord => ({
    project,
    address: "10.0.0.1",
    port,
    my_manager: `10.0.0.1:${up}`,
  });
  const top: CatalogRecord = { project: "top", address: "10.0.0.1", port: 1 };
  const records = [top, r("mid", 2, 1), r("leaf", 3, 2), r("other", 4, 1)];
  const keep = (x: CatalogRecord) => x.project === "mid";
  // -M mid: mid at the top, with its foreman; not its manager nor its sibling.
  assert.deepEqual(shape(managerTree(records, { keep })), ["mid", ">leaf"]);
  assert.deepEqual(shape(managerTree(records, { keep: (x) => x.project === "top" })), [
    "top",
    ">mid",
    "->leaf",
    ">other",
  ]);
  // Two foremen naming each other, and one naming itself: each once.
  const loop = [r("a", 10, 11), r("b", 11, 10), r("self", 12, 12)];
  assert.deepEqual(shape(managerTree(loop)), ["self", "a", ">b"]);
});
