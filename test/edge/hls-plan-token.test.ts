import { describe, expect, it } from "vitest";
import { POST_ROLL, signPlan, verifyPlan } from "../../edge/hls";
import { base64url } from "../../schema/signing";

const SECRET = "plan-secret";
const scope = "3f1c0e7e-0000-4000-8000-000000000001/line1/1";
const plan = { scope, breaks: [["ad-1", 0], ["ad-2", 42.5], ["ad-1", POST_ROLL]] as Array<[string, number]>, exp: 2_000_000_000 };

describe("ad plan tokens", () => {
  it("round-trips a plan", async () => {
    const token = await signPlan(SECRET, plan);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await verifyPlan(SECRET, token, { scope, now: 1_900_000_000 })).toEqual({ ok: true, plan });
  });

  it("refuses a tampered payload, a wrong secret, junk, another episode and an expired plan", async () => {
    const token = await signPlan(SECRET, plan);
    const [, sig] = token.split(".");
    const forged = base64url(new TextEncoder().encode(JSON.stringify({ v: 1, s: scope, b: [], e: plan.exp }))) + "." + sig;
    expect(await verifyPlan(SECRET, forged, { scope, now: 0 })).toEqual({ ok: false, reason: "bad ad plan signature" });
    expect(await verifyPlan("other", token, { scope, now: 0 })).toEqual({ ok: false, reason: "bad ad plan signature" });
    expect(await verifyPlan(SECRET, "junk", { scope })).toEqual({ ok: false, reason: "malformed ad plan" });
    expect(await verifyPlan(SECRET, token + ".x", { scope })).toEqual({ ok: false, reason: "malformed ad plan" });
    expect(await verifyPlan(SECRET, token, { scope: "other/line1/1", now: 0 })).toEqual({ ok: false, reason: "ad plan is for another episode" });
    expect(await verifyPlan(SECRET, token, { scope, now: plan.exp + 1 })).toEqual({ ok: false, reason: "ad plan expired" });
  });

  it("refuses a signed but ill-formed plan", async () => {
    const bad = await signPlan(SECRET, { scope, breaks: [["ad", -7]], exp: plan.exp });
    expect(await verifyPlan(SECRET, bad, { scope, now: 0 })).toEqual({ ok: false, reason: "malformed ad plan" });
  });
});
