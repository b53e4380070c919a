// TRANSCODER_URL must be https unless loopback or explicitly allowed (issue 12): a delivery carries the
// job's signed grants, so the bridge refuses to send one in clear, says why on the job and on /healthz.
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { transcoderUrlProblem } from "../../edge/config";
import worker from "../../edge/index";
import { consumeQueueInTest, createFilm, files, form, postForm, realQueueHandler, rows } from "./upload-support";

const queue = consumeQueueInTest();
afterAll(() => queue.restore());

const CLEAR = "http://transcoder.example.com:8789";

describe("transcoderUrlProblem", () => {
  it("accepts https, loopback http, and http when explicitly allowed", () => {
    for (const url of ["https://transcoder.example.com", "https://10.0.0.5:8789", "http://127.0.0.1:8789", "http://127.3.2.1", "http://localhost:8789", "http://dev.localhost", "http://[::1]:8789"]) {
      expect(transcoderUrlProblem(url, false), url).toBeNull();
    }
    expect(transcoderUrlProblem(CLEAR, true)).toBeNull();
  });

  it("refuses plain http elsewhere, other schemes, look-alikes and garbage, with a reason that does not repeat the URL", () => {
    for (const url of [CLEAR, "http://10.0.0.5:8789", "http://127.0.0.1.evil.example", "http://localhost.evil.example", "http://[::2]:8789", "http://0.0.0.0:8789"]) {
      const why = transcoderUrlProblem(url, false);
      expect(why, url).toMatch(/plain http .* not loopback/);
      expect(why).not.toContain(new URL(url).hostname);
    }
    expect(transcoderUrlProblem("ftp://transcoder.example.com", true)).toMatch(/must be https/);
    expect(transcoderUrlProblem("not a url", false)).toMatch(/not a URL/);
    expect(transcoderUrlProblem("", false)).toMatch(/not set/);
  });
});

describe("the bridge and /healthz with a clear-text TRANSCODER_URL", { timeout: 30_000 }, () => {
  it("delivers nothing: the message is retried and the job's error says why", async () => {
    const filmId = await createFilm();
    const res = await postForm(`/api/v1/upload/media/resource/line1/${filmId}/1`, form({}, { bytes: files.mp4() }));
    expect(res.status).toBe(200);
    const { jobId } = (await res.json()) as { jobId: string };
    const message = await queue.messageFor(jobId);
    const batch = createMessageBatch("transcode-jobs", [{ id: "m1", timestamp: new Date(), attempts: 1, body: message }]);
    const ctx = createExecutionContext();
    await realQueueHandler(batch, { ...env, TRANSCODER_URL: CLEAR } as typeof env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: "m1" }]);
    const [job] = await rows<{ status: string; error: string }>("SELECT status, error FROM jobs WHERE id = ?", jobId);
    expect(job!.status).toBe("queued");
    expect(job!.error).toMatch(/refusing to deliver: TRANSCODER_URL is plain http/);
  });

  it("/healthz says why the bridge delivers nothing (and ok otherwise)", async () => {
    const health = async (vars: Record<string, string>) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch!(new Request("https://edge.test/healthz") as Request<unknown, IncomingRequestCfProperties>, { ...env, ...vars } as typeof env, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(200);
      return (await res.json()) as { bridge: string };
    };
    expect((await health({ TRANSCODER_URL: CLEAR })).bridge).toMatch(/plain http/);
    expect((await health({ TRANSCODER_URL: CLEAR, ALLOW_INSECURE_TRANSCODER: "true" })).bridge).toBe("ok");
    expect((await health({ TRANSCODER_URL: "https://transcoder.example.com" })).bridge).toBe("ok");
    expect((await health({})).bridge).toBe("ok");
  });
});
