#!/usr/bin/env node
/**
 * The CDK app clawfed generated: one stack for the federation described in ../federation.json
 * (written by `clawfed generate --target ecs`; edit the spec, not these files). Synthesis is
 * offline: the stack is environment-agnostic and looks nothing up, so `cdk synth` needs no AWS
 * credentials. cdk-nag's AwsSolutions pack runs on every synth; every suppression carries its reason.
 */
import { readFileSync } from "node:fs";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { FederationStack } from "../lib/federation-stack.js";
import { APP_CONTEXT } from "../lib/nag.js";
import type { EcsFederationDescription } from "../lib/description.js";

const description = JSON.parse(readFileSync(new URL("../federation.json", import.meta.url), "utf8")) as EcsFederationDescription;
const app = new App({ analyticsReporting: false, context: { ...APP_CONTEXT } });
new FederationStack(app, description);
// Synthesis fails on any AwsSolutions finding the stack does not acknowledge (lib/nag.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
