/**
 * The user running the manager, for the `owner` field of its status and
 * catalog records, found with whatever the process may read and never by
 * asking for a permission.
 *
 * @module
 */

function granted(desc: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(desc).state === "granted";
}

/**
 * The user name of `uid` in passwd-format text (`name:x:uid:gid:…`).
 *
 * @param passwd The text of `/etc/passwd`.
 * @param uid The user id.
 * @returns The name, or `undefined` if no line has that id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const passwd = "root:x:0:0:root:/root:/bin/bash\nada:x:1000:1000::/home/ada:/bin/sh\n";
 * assert.equal(userOfUid(passwd, 1000), "ada");
 * assert.equal(userOfUid(passwd, 7), undefined);
 * ```
 */
export function userOfUid(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && f[0] !== "" && f[2] === String(uid)) return f[0];
  }
  return undefined;
}

let cached: string | undefined;

/**
 * The manager's owner, tried in this order (each only if the permission is
 * already granted): `USER`, then `LOGNAME` (`--allow-env=USER,LOGNAME`);
 * then the name of `Deno.uid()` in `/etc/passwd` (`--allow-sys=uid` and
 * `--allow-read=/etc/passwd`); else `"unknown"`. Found once per process.
 *
 * @returns The user name, or `"unknown"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(typeof managerOwner(), "string");
 * ```
 */
export function managerOwner(): string {
  cached ??= findOwner();
  return cached;
}

function findOwner(): string {
  for (const variable of ["USER", "LOGNAME"]) {
    const v = granted({ name: "env", variable }) ? Deno.env.get(variable) : undefined;
    if (v) return v;
  }
  if (!granted({ name: "sys", kind: "uid" }) || !granted({ name: "read", path: "/etc/passwd" })) {
    return "unknown";
  }
  const uid = Deno.uid();
  if (uid === null) return "unknown";
  try {
    return userOfUid(Deno.readTextFileSync("/etc/passwd"), uid) ?? "unknown";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "unknown"; // a system without /etc/passwd
    throw e;
  }
}
