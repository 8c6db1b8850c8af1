// Kubernetes objects of a compile result or of `kubectl kustomize` output, and their validation
// against the OpenAPI schema of Kubernetes 1.36 (kubernetes-models 5.x: "Update to Kubernetes
// v1.36.0"), offline.
import { parseAllDocuments } from "yaml";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { CompileResult } from "../../src/compile/artifact.js";

/** The Kubernetes version whose OpenAPI schema the models were generated from. */
export const K8S_SCHEMA_VERSION = "1.36.0";

/** Every document of a multi-document YAML text. */
export function yamlObjects(text: string): any[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors[0]!.message);
      return d.toJS();
    })
    .filter((o) => o !== null);
}

/** The objects a compile result's YAML manifests hold (kustomization.yaml excluded), in `namespace`. */
export function compiledObjects(res: CompileResult, namespace: string): any[] {
  return res.artifacts
    .filter((a) => a.kind === "file" && a.path.endsWith(".yaml") && a.path !== "kustomization.yaml")
    .flatMap((a) => yamlObjects((a as { content: string }).content))
    .map((o) => (o.kind === "Namespace" ? o : { ...o, metadata: { ...o.metadata, namespace } }));
}

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "apps/v1/StatefulSet": StatefulSet,
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
};

/**
 * Validate one object against the OpenAPI schema (types, enums, required fields, formats).
 * @throws Error naming the object and the schema problem; also for a kind this test does not know.
 */
export function validateObject(o: any): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema model for ${o.apiVersion} ${o.kind}`);
  try {
    new Model(o).validate();
  } catch (err) {
    throw new Error(`${o.kind}/${o.metadata?.name}: ${(err as Error).message}`);
  }
}
