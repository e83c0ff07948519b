import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  // A self-contained server for the container image (frontend/Dockerfile).
  output: "standalone",
  poweredByHeader: false,
  // The browser reaches the API only through proxy.ts (`/api/*`), read at run time, so one
  // build serves any LOOKBOOK_API_URL.
  experimental: {
    // A photo for search by image may be up to 5 MB (the API's limit) plus multipart overhead.
    serverActions: { bodySizeLimit: "6mb" },
  },
};

export default nextConfig;
