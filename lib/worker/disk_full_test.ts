import assert from "node:assert/strict";
import { DiskFullError, freeBytes, FULL_BELOW, isDiskFullError, isFull } from "./disk_full.ts";

Deno.test("isDiskFullError() knows ENOSPC and EDQUOT, by code or by message", () => {
  const withCode = (code: string) => Object.assign(new Error("write failed"), { code });
  assert.ok(isDiskFullError(withCode("ENOSPC")));
  assert.ok(isDiskFullError(withCode("EDQUOT")));
  assert.ok(isDiskFullError(new Error("No space left on device (os error 28)")));
  assert.ok(isDiskFullError(new Error("Disk quota exceeded (os error 122)")));
  assert.ok(isDiskFullError(new DiskFullError("Cannot store 'x': full")));
  assert.ok(!isDiskFullError(withCode("EIO")));
  assert.ok(!isDiskFullError(new Error("(os error 280)")));
  assert.ok(!isDiskFullError("ENOSPC"));
});

Deno.test("freeBytes() measures the file system and isFull() compares it with FULL_BELOW", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const free = freeBytes(dir);
    assert.equal(typeof free, "number");
    assert.equal(isFull(dir), free! < FULL_BELOW);
    assert.equal(freeBytes(`${dir}/no/such/dir`), undefined);
    assert.equal(isFull(`${dir}/no/such/dir`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
