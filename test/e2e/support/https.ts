import * as https from "node:https";

/** GET over HTTPS without verifying the server's (self-signed) certificate; resolves status and body. */
export function insecureGet(
  url: string,
  token: string,
  timeoutMs = 5_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      {
        rejectUnauthorized: false,
        headers: { Authorization: `Bearer ${token}` },
        timeout: timeoutMs,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`)),
    );
    request.on("error", reject);
  });
}
