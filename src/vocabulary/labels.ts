/**
 * Label keys and container-name conventions that the compose target writes and the runtime reads,
 * in one place so neither reaches into the other for a constant.
 *
 * - `LABELS`: clawfed's own ownership labels, put on every container, network and volume it
 *   creates (the runtime acts only on what carries them);
 * - `COMPOSE_*_LABEL`: labels Docker Compose itself puts on the containers it creates (compose v1
 *   and v2 alike; see the Compose Specification, "Labels" and docker/compose `api.ProjectLabel`);
 *   the runtime reads them to find a federation's containers and to recreate one as compose would.
 */

/** Label keys put on every container, network and volume clawfed creates. */
export const LABELS = {
  federation: "ai.clawfed.federation",
  gateway: "ai.clawfed.gateway",
  role: "ai.clawfed.role",
  managed: "ai.clawfed.managed",
  kind: "ai.clawfed.kind",
  /**
   * On an upgrade rehearsal's scratch container, network and volumes: `<pid>@<host>` of the
   * process that made them, so a later run tells a killed rehearsal's leftovers from a live one's.
   */
  scratchOwner: "ai.clawfed.scratch-owner",
} as const;

/** Prefix of every label compose puts on its containers (a container without them is not compose's). */
export const COMPOSE_LABEL_PREFIX = "com.docker.compose.";
/** Compose's project label (v1 and v2): the compose project name (COMPOSE_PROJECT_NAME). */
export const COMPOSE_PROJECT_LABEL = "com.docker.compose.project";
/** Compose's service label: the service name (a gateway id, vocabulary/names.ts serviceName). */
export const COMPOSE_SERVICE_LABEL = "com.docker.compose.service";
/** Compose's hash of the service's configuration; compose recreates a container whose hash differs. */
export const COMPOSE_CONFIG_HASH_LABEL = "com.docker.compose.config-hash";
/** Compose's record of the image a service asked for (compose v2). */
export const COMPOSE_IMAGE_LABEL = "com.docker.compose.image";
/** Suffix of the name a rollout gives the previous container while the new one is on trial. */
export const PREVIOUS_SUFFIX = ".clawfed-previous";
