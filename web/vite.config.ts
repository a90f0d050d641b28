import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const webRoot = fileURLToPath(new URL(".", import.meta.url));

/**
 * The mission-control UI, built into web/dist, which the control plane serves on its one port
 * (shared/rpc/static-files.ts). It imports the generated contracts from ../gen directly:
 * protoc-gen-es output runs in the browser as it is.
 */
export default defineConfig({
  root: webRoot,
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Source maps stay out of the package (package.json `files` drops dist maps too).
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 800,
  },
  // `vite` (dev) proxies the RPC paths to a running `pushpals up` so the page can be worked on live.
  server: {
    proxy: { "^/(pushpals|grpc)\\.": { target: process.env.PUSHPALS_SERVER_URL ?? "http://127.0.0.1:3001", changeOrigin: true } },
  },
});
