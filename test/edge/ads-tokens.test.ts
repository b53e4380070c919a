// The ad server's part of a signed plan (decision id + entries) and the signed beacon of a segment.
import { describe, expect, it } from "vitest";
import { signBeacon, verifyBeacon } from "../../edge/ads";
import { signPlan, verifyPlan } from "../../edge/hls";
import { base64url, hmac } from "../../schema/signing";

const SECRET = "s";
const scope = "f/line1/1";
const breaks: Array<[string, number]> = [["a", 0], ["b", 0], ["c", 30]];

describe("plan with a decision", () => {
  it("round-trips the decision id and its entries; a plan without one has none", async () => {
    const plan = { scope, breaks, exp: 2_000_000_000, decision: { id: "d-1", entries: [0, 1] } };
    expect(await verifyPlan(SECRET, await signPlan(SECRET, plan), { scope, now: 0 })).toEqual({ ok: true, plan });
    const plain = await verifyPlan(SECRET, await signPlan(SECRET, { scope, breaks, exp: 2_000_000_000 }), { scope, now: 0 });
    expect(plain.ok && plain.plan.decision).toBe(undefined);
  });

  it("refuses entries outside the plan, even signed", async () => {
    for (const t of [[3], [-1], [0.5], "0"]) {
      const payload = base64url(new TextEncoder().encode(JSON.stringify({ v: 1, s: scope, b: breaks, e: 2_000_000_000, d: "d", t })));
      const token = `${payload}.${base64url(await hmac(SECRET, `adplan.${payload}`))}`;
      expect(await verifyPlan(SECRET, token, { scope, now: 0 })).toEqual({ ok: false, reason: "malformed ad plan" });
    }
  });
});

describe("beacon tokens", () => {
  it("round-trip; tampered, foreign or malformed ones are null", async () => {
    const claim = { decision: "d", entry: 2, adId: "ad", events: ["impression", "start"] as Array<"impression" | "start"> };
    const token = await signBeacon(SECRET, claim);
    expect(await verifyBeacon(SECRET, token)).toEqual(claim);
    expect(await verifyBeacon("other", token)).toBe(null);
    const other = (await signBeacon(SECRET, { ...claim, entry: 3 })).split(".")[0];
    expect(await verifyBeacon(SECRET, `${other}.${token.split(".")[1]}`)).toBe(null);
    expect(await verifyBeacon(SECRET, "x")).toBe(null);
    const bad = base64url(new TextEncoder().encode(JSON.stringify(["d", 0, "ad", ["click"]])));
    expect(await verifyBeacon(SECRET, `${bad}.${base64url(await hmac(SECRET, `adbeacon.${bad}`))}`)).toBe(null);
  });
});
