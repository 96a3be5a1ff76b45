import assert from "node:assert/strict";
import { denoOutput } from "./_run_deno.ts";
import { userOfUid } from "./owner.ts";

Deno.test("userOfUid() finds the name of a uid in passwd text, and nothing else", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\n#c\n:x:5:5\nada:x:1000:1000::/home/ada:/bin/sh";
  assert.equal(userOfUid(passwd, 0), "root");
  assert.equal(userOfUid(passwd, 1000), "ada");
  assert.equal(userOfUid(passwd, 5), undefined, "an entry without a name");
  assert.equal(userOfUid(passwd, 100), undefined);
});

/** The owner a manager reports when run with these permissions and this environment. */
async function ownerWith(permissions: string[], env: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "wq-owner-" });
  try {
    const script = `${dir}/probe.ts`;
    const owner = new URL("./owner.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { managerOwner } from "${owner}"; console.log(managerOwner());`,
    );
    // deno run, not deno eval: eval grants every permission
    return await denoOutput(["run", "--no-prompt", ...permissions, script], {
      env,
      clearEnv: true,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("managerOwner() uses USER, LOGNAME, then uid and /etc/passwd, else 'unknown'", async () => {
  const uid = Deno.uid()!;
  const real = userOfUid(await Deno.readTextFile("/etc/passwd"), uid);
  assert.ok(real, `uid ${uid} is in /etc/passwd`);
  const env = { USER: "from-user", LOGNAME: "from-logname" };
  assert.equal(await ownerWith(["--allow-env=USER,LOGNAME"], env), "from-user");
  assert.equal(await ownerWith(["--allow-env=LOGNAME"], env), "from-logname");
  assert.equal(await ownerWith(["--allow-env=USER,LOGNAME"], {}), "unknown");
  assert.equal(await ownerWith(["--allow-sys=uid", "--allow-read=/etc/passwd"], env), real);
  assert.equal(await ownerWith(["--allow-sys=uid"], env), "unknown", "passwd not readable");
  assert.equal(await ownerWith(["--allow-read=/etc/passwd"], env), "unknown", "uid not allowed");
  assert.equal(await ownerWith([], env), "unknown");
});
