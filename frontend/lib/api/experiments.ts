import { apiFetch } from "@/lib/api/client";
import type { Experiment, ExperimentIn, ExperimentList, ExperimentResults } from "@/lib/api/types";

/** Experiments (`/admin/experiments`), with the signed-in staff member's own key. */
export function listExperiments(apiKey: string): Promise<ExperimentList> {
  return apiFetch<ExperimentList>("/admin/experiments", { apiKey });
}

export function createExperiment(body: ExperimentIn, apiKey: string): Promise<Experiment> {
  return apiFetch<Experiment>("/admin/experiments", { method: "POST", json: body, apiKey });
}

export function stopExperiment(id: number, apiKey: string): Promise<Experiment> {
  return apiFetch<Experiment>(`/admin/experiments/${id}/stop`, { method: "POST", apiKey });
}

export function experimentResults(id: number, apiKey: string): Promise<ExperimentResults> {
  return apiFetch<ExperimentResults>(`/admin/experiments/${id}/results`, { apiKey });
}
