import assert from "node:assert/strict";
import { openListener, passwordBytes } from "./access.ts";

Deno.test("passwordBytes() takes text or bytes and refuses empty or odd values", () => {
  assert.deepEqual(passwordBytes("pw\n", "password"), new TextEncoder().encode("pw\n"));
  const bytes = new Uint8Array([1, 2, 3]);
  const copy = passwordBytes(bytes, "password");
  bytes[0] = 9;
  assert.deepEqual(
    copy,
    new Uint8Array([1, 2, 3]),
    "a later change to the caller's bytes is not seen",
  );
  assert.throws(
    () => passwordBytes("", "password"),
    /^RangeError: Cannot set password: it is empty$/,
  );
  assert.throws(
    () => passwordBytes(42 as unknown as string, "password"),
    /Cannot set password: expected a string or a Uint8Array, got number/,
  );
});

Deno.test("openListener() names a TLS file it cannot read or use", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.throws(
      () =>
        openListener({ hostname: "127.0.0.1", port: 0, ssl: { cert: `${dir}/c.pem`, key: "k" } }),
      /Cannot read ssl\.cert file '.*c\.pem'/,
    );
    await Deno.writeTextFile(`${dir}/plain.txt`, "not pem");
    assert.throws(
      () =>
        openListener({
          hostname: "127.0.0.1",
          port: 0,
          ssl: { cert: `${dir}/plain.txt`, key: `${dir}/plain.txt` },
        }),
      /Cannot use ssl\.cert file '.*plain\.txt': it holds no PEM block/,
    );
    const junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert.throws(
      () => openListener({ hostname: "127.0.0.1", port: 0, ssl: { cert: junk, key: junk } }),
      /Cannot listen with TLS: the certificate or key is not usable/,
    );
    using plain = openListener({ hostname: "127.0.0.1", port: 0 });
    assert.throws(
      () => openListener({ hostname: "127.0.0.1", port: (plain.addr as Deno.NetAddr).port }),
      (e: Error) => e instanceof Deno.errors.AddrInUse && /the address is in use/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
