import * as net from "node:net";

/** A TCP port that is free on `host` right now (the OS picks it; we release it for the caller). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error(`no port assigned on ${host}`));
      });
    });
  });
}
