import type { TestProject } from "vitest/node";

import { startStack } from "./harness";

declare module "vitest" {
  export interface ProvidedContext {
    apiUrl: string;
    webUrl: string;
    merchandiserKey: string;
    serviceKey: string;
    adminKey: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const stack = await startStack();
  console.log(
    `e2e stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: API ${stack.apiUrl}, web ${stack.webUrl}`,
  );
  project.provide("apiUrl", stack.apiUrl);
  project.provide("webUrl", stack.webUrl);
  project.provide("merchandiserKey", stack.merchandiserKey);
  project.provide("serviceKey", stack.serviceKey);
  project.provide("adminKey", stack.adminKey);
  return stack.stop;
}
