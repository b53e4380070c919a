// Signed requests carry a nonce bound into the signature (issue 12, finding 6): the receiver can
// remember it and refuse a replay. Requests signed without one (older senders) still verify.
import { describe, expect, it } from "vitest";
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, newNonce, signRequest, verifyRequest } from "../../schema/signing";
import { call, reasonOf } from "./upload-support";

const SECRET = "test-signing-secret";
const PATH = "/api/v1/internal/jobs/00000000-0000-4000-8000-000000000000/urls";

function asRequest(h: Record<string, string>, over: Partial<{ path: string; body: string; nonce: string | null | undefined }> = {}) {
  return {
    method: "POST",
    path: over.path ?? PATH,
    body: over.body ?? "",
    timestamp: h[TIMESTAMP_HEADER],
    signature: h[SIGNATURE_HEADER],
    nonce: "nonce" in over ? over.nonce : h[NONCE_HEADER],
  };
}

describe("signRequest / verifyRequest with a nonce", () => {
  it("puts a fresh random nonce on every request and hands it back from verify", async () => {
    const a = await signRequest(SECRET, "POST", PATH, "");
    const b = await signRequest(SECRET, "POST", PATH, "", Number(a[TIMESTAMP_HEADER]));
    expect(a[NONCE_HEADER]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(a[NONCE_HEADER]).not.toBe(b[NONCE_HEADER]);
    // Same time, path and body: the nonce alone makes the signatures differ.
    expect(a[SIGNATURE_HEADER]).not.toBe(b[SIGNATURE_HEADER]);
    expect(await verifyRequest(SECRET, asRequest(a))).toEqual({ ok: true, nonce: a[NONCE_HEADER] });
  });

  it("binds the nonce: another, a dropped or a malformed one fails", async () => {
    const h = await signRequest(SECRET, "POST", PATH, "");
    expect(await verifyRequest(SECRET, asRequest(h, { nonce: newNonce() }))).toEqual({ ok: false, reason: "bad signature" });
    // Stripping the header turns it into a no-nonce request, whose message differs: refused.
    expect(await verifyRequest(SECRET, asRequest(h, { nonce: undefined }))).toEqual({ ok: false, reason: "bad signature" });
    for (const bad of ["", "short", "has.dot.in.it.and.is.long", "x".repeat(129), "spaces are not allowed here"]) {
      expect(await verifyRequest(SECRET, asRequest(h, { nonce: bad })), bad).toMatchObject({ ok: false });
    }
  });

  it("still accepts a request signed without a nonce (no nonce handed back)", async () => {
    const h = await signRequest(SECRET, "POST", PATH, "", Date.now(), null);
    expect(h[NONCE_HEADER]).toBeUndefined();
    expect(await verifyRequest(SECRET, asRequest(h))).toEqual({ ok: true });
    // A nonce added by a middleman to a no-nonce signature does not verify.
    expect(await verifyRequest(SECRET, asRequest(h, { nonce: newNonce() }))).toEqual({ ok: false, reason: "bad signature" });
  });

  it("keeps refusing stale timestamps and other paths or bodies, nonce or not", async () => {
    const old = await signRequest(SECRET, "POST", PATH, "", Date.now() - 10 * 60 * 1000);
    expect(await verifyRequest(SECRET, asRequest(old))).toEqual({ ok: false, reason: "stale or invalid timestamp" });
    const h = await signRequest(SECRET, "POST", PATH, "{}");
    expect((await verifyRequest(SECRET, asRequest(h, { body: "{}", path: "/other" }))).ok).toBe(false);
    expect((await verifyRequest(SECRET, asRequest(h, { body: "{ }" }))).ok).toBe(false);
  });
});

describe("the edge's signed routes and the nonce", { timeout: 30_000 }, () => {
  // An unknown job: a request that passes the signature check gets 404, one that fails it 403.
  const post = (headers: Record<string, string>) => call(PATH, { method: "POST", headers });

  it("accept a request with a nonce; one without only where no grant is minted", async () => {
    await reasonOf(await post(await signRequest(SECRET, "POST", PATH, "")), 404);
    expect(await reasonOf(await post(await signRequest(SECRET, "POST", PATH, "", Date.now(), null)), 403)).toBe(`${NONCE_HEADER}: required on a request that mints grants`);
    const progress = PATH.replace(/urls$/, "progress");
    const body = JSON.stringify({ progress: 0.5 });
    const old = await signRequest(SECRET, "POST", progress, body, Date.now(), null);
    await reasonOf(await call(progress, { method: "POST", headers: { "content-type": "application/json", ...old }, body }), 404);
  });

  it("refuse a request whose nonce was swapped, dropped or malformed (403)", async () => {
    const h = await signRequest(SECRET, "POST", PATH, "");
    expect(await reasonOf(await post({ ...h, [NONCE_HEADER]: newNonce() }), 403)).toMatch(/signature/);
    const { [NONCE_HEADER]: _dropped, ...without } = h;
    expect(await reasonOf(await post(without), 403)).toMatch(/signature/);
    expect(await reasonOf(await post({ ...h, [NONCE_HEADER]: "../../x" }), 403)).toMatch(/nonce/);
  });
});
