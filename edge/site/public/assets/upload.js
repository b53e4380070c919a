// Uploads from the browser with progress: XHR because fetch() cannot report upload progress.
// Videos go through the signed multipart flow (POST /api/v1/admin/uploads → PUT each part to its
// signed URL → POST …/complete); small files (posters, image ads) through the form routes.

/** PUT or POST a body with XHR; resolves with the parsed JSON answer (or null). */
export function send(method, url, body, { headers = {}, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (ev) => ev.lengthComputable && onProgress?.(ev.loaded, ev.total);
    xhr.onload = () => {
      let json = null;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        json = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(json);
      else reject(Object.assign(new Error(json?.reason ?? `${xhr.status} ${xhr.statusText}`), { status: xhr.status }));
    };
    xhr.onerror = () => reject(Object.assign(new Error("network error"), { status: 0 }));
    xhr.send(body);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The signed multipart flow for one file. `api(method, path, body)` makes bearer-authenticated
 * JSON calls; part PUTs carry only their signed token. Failed parts are retried (network errors
 * and 5xx) a few times with backoff. Resolves with the answer of `complete`.
 */
export async function multipartUpload(api, target, file, onProgress) {
  const init = await api("POST", "/api/v1/admin/uploads", {
    target,
    size: file.size,
    contentType: file.type || "application/octet-stream",
  });
  const sent = new Array(init.partCount).fill(0);
  const report = () => onProgress(sent.reduce((a, b) => a + b, 0) / Math.max(1, file.size));
  for (const part of init.parts) {
    const start = (part.number - 1) * init.partSize;
    const blob = file.slice(start, Math.min(file.size, start + init.partSize));
    for (let attempt = 1; ; attempt++) {
      try {
        await send("PUT", part.url, blob, {
          onProgress: (loaded) => {
            sent[part.number - 1] = loaded;
            report();
          },
        });
        sent[part.number - 1] = blob.size;
        report();
        break;
      } catch (e) {
        const retryable = e.status === 0 || e.status >= 500;
        if (!retryable || attempt >= 4) {
          await api("POST", `/api/v1/admin/uploads/${encodeURIComponent(init.id)}/abort`).catch(() => {});
          throw new Error(`part ${part.number}: ${e.message}`);
        }
        sent[part.number - 1] = 0;
        await sleep(500 * 2 ** attempt);
      }
    }
  }
  return api("POST", `/api/v1/admin/uploads/${encodeURIComponent(init.id)}/complete`);
}

/** Follows a transcode job until it ends; `onJob` gets each state. Resolves with the last one. */
export async function followJob(api, jobId, onJob, intervalMs = 1000) {
  for (;;) {
    const job = await api("GET", `/api/v1/admin/jobs/${encodeURIComponent(jobId)}`);
    onJob(job);
    if (["complete", "failed", "superseded"].includes(job.status)) return job;
    await sleep(intervalMs);
  }
}
