/** clawfed's library API. The CLI is a thin layer over these calls. */
export { loadSpecFile, loadSpecText, type LoadedSpec } from "./spec/load.js";
export { normalize, type Federation, type GatewayModel, type Route } from "./spec/normalize.js";
export { Spec, specJsonSchema, DEFAULT_OPENCLAW_VERSION, type SpecInput, type SpecParsed } from "./spec/schema.js";
export { compile, TARGETS, type TargetName } from "./compile/index.js";
export type { Artifact, CompileResult, EnvSlot } from "./compile/artifact.js";
export { writeArtifacts, type WriteOptions, type WriteResult } from "./emit/write.js";
export { generate, withImage, defaultOutDir, type GenerateOptions, type GenerateResult } from "./generate.js";
export { SpecError, RuntimeError, InternalError, formatIssue, type SpecIssue } from "./errors.js";
